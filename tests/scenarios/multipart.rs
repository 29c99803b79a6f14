// Multipart scenarios shared by both clients (included by tests/multipart.rs).

use crate::support::{Reply, Server};
use ferrohttp::multipart::{Multipart, Part};

fn recording_server() -> Server {
    Server::http(|_| Reply::ok("stored"))
}

scenario! {
    async fn a_form_with_fields_and_a_file_arrives_as_sent() {
        let server = recording_server();
        let dir = std::env::temp_dir().join(format!("ferrohttp-mp-it-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("upload-{}.txt", line!()));
        let content: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, &content).unwrap();
        let form = Multipart::new()
            .boundary("test-boundary")
            .text("name", "value")
            .text("name", "again")
            .file("upload", &path)
            .unwrap()
            .part("raw", Part::bytes(vec![1u8, 2, 3]).file_name("r.bin"));
        let expected_len = form.len().unwrap();
        let client = Client::new();
        let r = client.post(server.url("/upload")).multipart(form).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let req = &server.requests()[0];
        assert_eq!(req.header("content-type"), Some("multipart/form-data; boundary=test-boundary"));
        assert_eq!(req.header("content-length"), Some(expected_len.to_string().as_str()));
        assert!(!req.chunked);
        let body = &req.body;
        assert_eq!(body.len() as u64, expected_len);
        let text = String::from_utf8_lossy(body);
        assert!(text.starts_with("--test-boundary\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nvalue\r\n"), "{text:.200}");
        assert!(text.contains("name=\"name\"\r\n\r\nagain\r\n"));
        let file_name = path.file_name().unwrap().to_string_lossy();
        let head = format!("name=\"upload\"; filename=\"{file_name}\"\r\nContent-Type: text/plain\r\n\r\n");
        let at = body.windows(head.len()).position(|w| w == head.as_bytes()).expect("the file part's head") + head.len();
        assert_eq!(&body[at..at + content.len()], &content[..], "the file's bytes, exactly");
        assert!(body.ends_with(b"\x01\x02\x03\r\n--test-boundary--\r\n"));
        std::fs::remove_file(&path).unwrap();
    }
}

scenario! {
    async fn a_part_of_unknown_length_makes_the_form_chunked() {
        let server = recording_server();
        let form = Multipart::new()
            .boundary("b")
            .part("stream", Part::reader(std::io::Cursor::new(vec![9u8; 70_000]), None));
        let r = Client::new().post(server.url("/")).multipart(form).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let req = &server.requests()[0];
        assert!(req.chunked, "chunked");
        assert_eq!(req.header("content-length"), None);
        assert!(req.body.windows(70_000).any(|w| w.iter().all(|&b| b == 9)));
        assert!(req.body.ends_with(b"\r\n--b--\r\n"));
    }
}

scenario! {
    async fn an_invalid_form_fails_before_anything_is_sent() {
        let server = recording_server();
        let form = Multipart::new().boundary("bad\"boundary").text("a", "b");
        let e = Client::new().post(server.url("/")).multipart(form).send().await.unwrap_err();
        assert_eq!(e.kind(), ferrohttp::ErrorKind::LocalProtocol);
        assert!(server.requests().is_empty());
    }
}
