//! A minimal HTTP/1.1 keep-alive client: the load generator must cost the server's
//! core nothing and its own core little, so it writes requests by hand and reads
//! `Content-Length` framed responses (what the API sends).

use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::Result;

#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub body: Vec<u8>,
}

impl Response {
    pub fn json(&self) -> Result<serde_json::Value> {
        serde_json::from_slice(&self.body).map_err(|e| format!("response is not JSON: {e}"))
    }

    /// The response, or an error naming the status and body when it is not `want`.
    pub fn expect(self, want: u16, what: &str) -> Result<Response> {
        if self.status == want {
            Ok(self)
        } else {
            Err(format!(
                "{what}: expected {want}, got {} {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            ))
        }
    }
}

/// One keep-alive connection.
pub struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
    request: Vec<u8>,
}

impl Conn {
    pub async fn open(addr: SocketAddr) -> Result<Conn> {
        let stream = TcpStream::connect(addr)
            .await
            .map_err(|e| format!("cannot connect to {addr}: {e}"))?;
        stream.set_nodelay(true).map_err(|e| e.to_string())?;
        Ok(Conn {
            stream,
            buf: Vec::with_capacity(16 * 1024),
            request: Vec::with_capacity(1024),
        })
    }

    pub async fn get(&mut self, path: &str, token: Option<&str>) -> Result<Response> {
        self.send("GET", path, token, None).await
    }

    pub async fn send(
        &mut self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&str>,
    ) -> Result<Response> {
        use std::io::Write;
        let r = &mut self.request;
        r.clear();
        let _ = write!(r, "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n");
        if let Some(token) = token {
            let _ = write!(r, "Authorization: Bearer {token}\r\n");
        }
        if let Some(body) = body {
            let _ = write!(
                r,
                "Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            );
        } else {
            r.extend_from_slice(b"\r\n");
        }
        self.stream
            .write_all(&self.request)
            .await
            .map_err(|e| format!("{method} {path}: {e}"))?;
        self.read_response()
            .await
            .map_err(|e| format!("{method} {path}: {e}"))
    }

    async fn read_response(&mut self) -> Result<Response> {
        loop {
            if let Some(end) = find(&self.buf, b"\r\n\r\n") {
                let head = std::str::from_utf8(&self.buf[..end]).map_err(|e| e.to_string())?;
                let status = head
                    .split(' ')
                    .nth(1)
                    .and_then(|s| s.parse().ok())
                    .ok_or_else(|| format!("bad status line in {head:?}"))?;
                let mut length = None;
                for line in head.split("\r\n").skip(1) {
                    let (name, value) = line.split_once(':').unwrap_or((line, ""));
                    if name.eq_ignore_ascii_case("content-length") {
                        length = value.trim().parse::<usize>().ok();
                    } else if name.eq_ignore_ascii_case("transfer-encoding") {
                        return Err("chunked responses are not expected from the API".into());
                    }
                }
                let total = end + 4 + length.unwrap_or(0);
                while self.buf.len() < total {
                    self.fill().await?;
                }
                let body = self.buf[end + 4..total].to_vec();
                self.buf.drain(..total);
                return Ok(Response { status, body });
            }
            self.fill().await?;
        }
    }

    async fn fill(&mut self) -> Result {
        self.buf.reserve(16 * 1024);
        let n = self
            .stream
            .read_buf(&mut self.buf)
            .await
            .map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("the server closed the connection".into());
        }
        Ok(())
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// One request on a connection of its own (set-up calls, not measured).
pub async fn call(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&serde_json::Value>,
) -> Result<Response> {
    let body = body.map(serde_json::Value::to_string);
    Conn::open(addr)
        .await?
        .send(method, path, token, body.as_deref())
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;
    use tokio::net::TcpListener;

    /// A server that answers each request with the next canned reply, in pieces.
    async fn serve(replies: Vec<&'static [u8]>) -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 4096];
            for reply in replies {
                let _ = s.read(&mut buf).await.unwrap();
                for chunk in reply.chunks(7) {
                    s.write_all(chunk).await.unwrap();
                    s.flush().await.unwrap();
                }
            }
        });
        addr
    }

    #[tokio::test]
    async fn reads_framed_responses_on_one_connection() {
        let addr = serve(vec![
            b"HTTP/1.1 200 OK\r\ncontent-length: 11\r\n\r\n{\"ok\":true}",
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n",
        ])
        .await;
        let mut conn = Conn::open(addr).await.unwrap();
        let first = conn.get("/a", None).await.unwrap();
        assert_eq!(first.status, 200);
        assert_eq!(first.json().unwrap()["ok"], true);
        let second = conn.get("/b", Some("t")).await.unwrap();
        assert_eq!(second.status, 404);
        assert!(second.body.is_empty());
        assert!(second.expect(200, "b").unwrap_err().contains("got 404"));
    }

    #[tokio::test]
    async fn refuses_chunked_bodies_and_closed_connections() {
        let addr = serve(vec![
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        ])
        .await;
        let mut conn = Conn::open(addr).await.unwrap();
        assert!(conn.get("/", None).await.unwrap_err().contains("chunked"));
        let addr = serve(vec![b""]).await;
        let mut conn = Conn::open(addr).await.unwrap();
        assert!(conn.get("/", None).await.unwrap_err().contains("closed"));
    }
}
