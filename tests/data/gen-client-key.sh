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
# The same EC key in SEC1 form ("EC PRIVATE KEY").
openssl ec -in client-key.pem -out client-key-sec1.pem
# An RSA key in PKCS#1 form ("RSA PRIVATE KEY") and its public key, for which
# the tests sign a client certificate.
openssl genrsa -traditional -out client-rsa-pkcs1.pem 2048
openssl rsa -in client-rsa-pkcs1.pem -pubout -out client-rsa-pub.pem
