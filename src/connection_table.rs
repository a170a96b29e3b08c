//! The table of open connections, which keeps their number bounded.
//!
//! Every connection holds a thread while it is open, so their number is
//! capped (`--web.max-connections`). At the cap, a new connection should
//! not simply be refused: a client holding many silent sockets would then
//! lock Prometheus out. Instead the connection that has waited longest
//! without a complete request (an idle kept-alive one, or a slow one) is
//! closed to make room. Only when every connection is busy answering a
//! request is the new one refused.
//!
//! Closing happens from the accepting thread, through a clone of the
//! socket: `shutdown` wakes the worker blocked in `read()` on it, which
//! then ends the connection as if the peer had gone.

use std::collections::BTreeMap;
use std::net::{Shutdown, TcpStream};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

pub struct ConnectionTable {
    max_connections: usize,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    next_id: u64,
    open: BTreeMap<u64, Entry>,
}

struct Entry {
    /// A clone of the connection's socket, used only to shut it down.
    stream: TcpStream,
    /// When it began to wait for its next request; `None` while a
    /// request is being answered.
    waiting_since: Option<Instant>,
}

/// What [`ConnectionTable::admit`] decided.
pub enum Admission {
    /// The connection is in the table until the registration is dropped.
    Admitted(Registration),
    /// The table is full of busy connections.
    Full,
}

impl ConnectionTable {
    pub fn new(max_connections: usize) -> ConnectionTable {
        ConnectionTable {
            max_connections: max_connections.max(1),
            state: Mutex::new(State::default()),
        }
    }

    /// Admits a new connection, closing the longest-waiting one if the
    /// table is full. Fails only if the socket cannot be cloned (no file
    /// descriptor left).
    pub fn admit(self: &Arc<Self>, stream: &TcpStream) -> std::io::Result<Admission> {
        let mut state = self.lock();
        if state.open.len() >= self.max_connections {
            let Some(longest_waiting) = longest_waiting(&state) else {
                return Ok(Admission::Full);
            };
            if let Some(evicted) = state.open.remove(&longest_waiting) {
                let _ = evicted.stream.shutdown(Shutdown::Both);
            }
        }
        let id = state.next_id;
        state.next_id += 1;
        state
            .open
            .insert(id, Entry { stream: stream.try_clone()?, waiting_since: Some(Instant::now()) });
        Ok(Admission::Admitted(Registration { table: Arc::clone(self), id }))
    }

    /// How many connections are open.
    pub fn len(&self) -> usize {
        self.lock().open.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Shuts every connection down, so that their workers return.
    pub fn close_all(&self) {
        for (_, entry) in std::mem::take(&mut self.lock().open) {
            let _ = entry.stream.shutdown(Shutdown::Both);
        }
    }

    /// A panic while the lock is held cannot leave the table half
    /// updated (every change is one map operation), so a poisoned lock
    /// is still usable.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn set_waiting_since(&self, id: u64, since: Option<Instant>) {
        if let Some(entry) = self.lock().open.get_mut(&id) {
            entry.waiting_since = since;
        }
    }
}

fn longest_waiting(state: &State) -> Option<u64> {
    state
        .open
        .iter()
        .filter_map(|(id, entry)| entry.waiting_since.map(|since| (since, *id)))
        .min()
        .map(|(_, id)| id)
}

/// A connection's place in the table; dropping it frees the place.
pub struct Registration {
    table: Arc<ConnectionTable>,
    id: u64,
}

impl Registration {
    /// The connection now waits for a request and may be closed to make
    /// room for a new one.
    pub fn waiting(&self) {
        self.table.set_waiting_since(self.id, Some(Instant::now()));
    }

    /// The connection is answering a request and will not be closed.
    pub fn busy(&self) {
        self.table.set_waiting_since(self.id, None);
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.table.lock().open.remove(&self.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;
    use std::net::TcpListener;

    /// A connected pair of sockets on loopback: (client, server side).
    fn pair(listener: &TcpListener) -> (TcpStream, TcpStream) {
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        (client, server)
    }

    fn admitted(admission: Admission) -> Registration {
        match admission {
            Admission::Admitted(registration) => registration,
            Admission::Full => panic!("expected the connection to be admitted"),
        }
    }

    #[test]
    fn evicts_the_longest_waiting_connection_at_the_cap() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let table = Arc::new(ConnectionTable::new(2));
        let (_client_a, server_a) = pair(&listener);
        let (_client_b, server_b) = pair(&listener);
        let (_client_c, server_c) = pair(&listener);
        let _a = admitted(table.admit(&server_a).unwrap());
        let b = admitted(table.admit(&server_b).unwrap());
        b.waiting(); // b waits from now, a from earlier: a goes first.
        let _c = admitted(table.admit(&server_c).unwrap());
        assert_eq!(table.len(), 2);
        // The evicted socket reads end-of-file at once; one left open
        // would time out rather than hang the test.
        server_a.set_read_timeout(Some(std::time::Duration::from_secs(5))).unwrap();
        let mut byte = [0u8; 1];
        assert_eq!((&server_a).read(&mut byte).unwrap(), 0);
    }

    #[test]
    fn refuses_when_every_connection_is_busy() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let table = Arc::new(ConnectionTable::new(1));
        let (_client_a, server_a) = pair(&listener);
        let (_client_b, server_b) = pair(&listener);
        let a = admitted(table.admit(&server_a).unwrap());
        a.busy();
        assert!(matches!(table.admit(&server_b).unwrap(), Admission::Full));
        drop(a);
        assert!(table.is_empty());
        assert!(matches!(table.admit(&server_b).unwrap(), Admission::Admitted(_)));
    }
}
