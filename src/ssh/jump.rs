//! A `ProxyJump` hop: a direct-tcpip channel opened on the previous hop's
//! session, carried to the next SSH handshake as an in-memory byte stream.
//!
//! The bytes are moved with the channel's message API by a task of their
//! own, rather than through russh's `ChannelStream`, which stalled
//! libvirt's RPC after the first few round trips (see `SshSession::pipe`).
//! The task ends when either side closes: dropping the session that runs
//! over the stream closes the channel, and a closed channel ends the stream.

use russh::client::Msg;
use russh::{Channel, ChannelMsg};
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};

/// The in-memory buffer between the channel and the SSH session over it.
const BUFFER: usize = 256 * 1024;

/// A stream whose bytes travel through `channel`.
pub fn stream(mut channel: Channel<Msg>) -> DuplexStream {
    let (ours, mut theirs) = tokio::io::duplex(BUFFER);
    tokio::spawn(async move {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            tokio::select! {
                n = theirs.read(&mut buf) => match n {
                    Ok(0) | Err(_) => {
                        let _ = channel.eof().await;
                        let _ = channel.close().await;
                        return;
                    }
                    Ok(n) => {
                        if channel.data(&buf[..n]).await.is_err() {
                            return;
                        }
                    }
                },
                msg = channel.wait() => match msg {
                    Some(ChannelMsg::Data { data }) => {
                        if theirs.write_all(&data).await.is_err() {
                            return;
                        }
                    }
                    Some(ChannelMsg::Eof | ChannelMsg::Close) | None => return,
                    Some(_) => {}
                },
            }
        }
    });
    ours
}
