//! CODE core: answers GET /health on :8001; `--health-check` probes it.
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::exit;
use std::time::Duration;

const ADDR: &str = "0.0.0.0:8001";

fn health_check() -> bool {
    let Ok(mut s) = TcpStream::connect("127.0.0.1:8001") else { return false };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    if s.write_all(b"GET /health HTTP/1.0\r\n\r\n").is_err() {
        return false;
    }
    let mut buf = [0u8; 16];
    matches!(s.read(&mut buf), Ok(n) if buf[..n].starts_with(b"HTTP/1.0 200"))
}

fn main() {
    if std::env::args().any(|a| a == "--health-check") {
        exit(if health_check() { 0 } else { 1 });
    }
    let listener = TcpListener::bind(ADDR).expect("bind");
    for mut stream in listener.incoming().flatten() {
        let mut buf = [0u8; 1024];
        let _ = stream.read(&mut buf);
        let _ = stream.write_all(b"HTTP/1.0 200 OK\r\ncontent-length: 2\r\n\r\nok");
    }
}
