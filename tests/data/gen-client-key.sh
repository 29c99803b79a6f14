#!/bin/sh
# Regenerates the client key fixtures for tests/tls.rs: one EC P-256 key as
# plain PKCS#8 and as encrypted PKCS#8 (PBES2, AES-256-CBC), password
# "correct horse". The tests sign a client certificate for this key with a
# CA they generate at run time, so only the key needs to be fixed here.
set -eu
cd "$(dirname "$0")"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out client-key.pem
openssl pkcs8 -topk8 -in client-key.pem -out client-key-encrypted.pem \
    -v2 aes-256-cbc -passout pass:'correct horse'
