//! The receive path: decoding, session lookup and binding, the response policy,
//! reassembly bookkeeping, success REPORTs, and responses/REPORTs for our own messages.

use std::time::Instant;

use super::{
    AbortReason, ConnectionError, CurKind, Endpoint, Event, Session, SessionId, response_policy,
};
use crate::relay::AuthEvent;
use crate::uri::{Uri, path_iter};
use crate::wire::encode::{write_report, write_response_to};
use crate::wire::headers::{ByteRange, Status, StatusCode, SuccessReport};
use crate::wire::{Event as WireEvent, Flag, Head, MessageId, Method, TransactionId};

/// What one decode step produced, with the borrow of the input released.
enum Step {
    Head,
    Body { pos: u64, len: usize },
    End(Flag),
    NeedMore,
    Error,
}

/// Finds the session a To-Path names (exactly one URI at an endpoint, R4975-150).
/// Largest body of a non-SEND request (RFC 4975 §7.1, R4975-075).
const MAX_NON_SEND_BODY: u64 = 10240;

fn lookup(sessions: &[Option<Session>], to: &[u8], by_sid: bool) -> Option<usize> {
    let mut it = path_iter(to);
    let uri = it.next()?.ok()?;
    if it.next().is_some() {
        return None;
    }
    sessions
        .iter()
        .position(|s| s.as_ref().is_some_and(|s| names(&s.local, &uri, by_sid)))
}

/// Whether `uri` names the session whose own URI is `local`: RFC 4975 §6.1 comparison,
/// or the session-id alone with `Config::match_session_id_only`.
pub(super) fn names(local: &Uri, uri: &crate::uri::UriRef<'_>, by_sid: bool) -> bool {
    if by_sid {
        local.as_ref().session_id().is_some() && local.as_ref().session_id() == uri.session_id()
    } else {
        local.matches(uri)
    }
}

fn accepts(accept: &[String], head: &Head<'_>) -> bool {
    let Some(ct) = head.content_type() else {
        return false;
    };
    let mt = ct.media_type();
    // Every endpoint can receive these whatever it lists (R4975-158); what their parts
    // hold is the application's business.
    if ["multipart/mixed", "multipart/alternative"]
        .iter()
        .any(|m| mt.eq_ignore_ascii_case(m))
    {
        return true;
    }
    accept.iter().any(|a| {
        let a = a.trim();
        if a == "*" {
            return true;
        }
        match a.strip_suffix("/*") {
            Some(ty) => ct.type_().eq_ignore_ascii_case(ty),
            None => mt.eq_ignore_ascii_case(a),
        }
    })
}

impl Endpoint {
    /// Decodes everything buffered on `conn` (unless paused by back-pressure).
    pub(super) fn process_input(&mut self, conn: u32, now: Instant) {
        let ci = conn as usize;
        // Input starts or refreshes the stall timer and incoming messages' idle timers.
        super::arm(
            &mut self.next_deadline,
            now + self.cfg.incoming_idle_timeout,
        );
        let cap = self.control_capacity();
        let spare = &mut self.spare_ctrl;
        if let Some(c) = self.conns.get_mut(ci).and_then(Option::as_mut)
            && c.ctrl.capacity() == 0
            && c.in_start < c.in_end
        {
            c.ctrl = spare.pop().unwrap_or_else(|| Vec::with_capacity(cap));
        }
        loop {
            let max_ctrl = self.cfg.limits.max_pending_control;
            let Some(c) = self.conns.get_mut(ci).and_then(Option::as_mut) else {
                return;
            };
            if c.ctrl.len() >= max_ctrl || c.open_in.len() >= c.tx_max as usize {
                return; // back-pressure: the peer is not reading our responses
            }
            if c.frame.is_none() {
                if c.in_start == c.in_end {
                    return; // parked and nothing to decode
                }
                c.frame = Some(
                    self.spare_frames
                        .pop()
                        .unwrap_or_else(|| super::Frame::new(self.cfg.wire)),
                );
            }
            let input = &c.in_buf[c.in_start..c.in_end];
            let base = c.in_base + c.in_start as u64;
            let mut auth: Option<Option<AuthEvent>> = None;
            let frame = c.frame.as_deref_mut().expect("present: taken above");
            let (decoder, fcur) = (&mut frame.decoder, &mut frame.cur);
            let step = match decoder.decode(input) {
                Ok((n, ev)) => {
                    let step = match ev {
                        WireEvent::Head(head) => {
                            let cur = &mut *fcur;
                            cur.kind = CurKind::Ignore;
                            cur.tid = TransactionId::parse(head.transaction_id()).ok();
                            cur.message = head.message_id().and_then(|m| MessageId::parse(m).ok());
                            cur.session = None;
                            cur.verdict = None;
                            cur.has_body = head.has_body();
                            cur.from.clear();
                            cur.to.clear();
                            cur.from.extend_from_slice(
                                head.raw(crate::wire::KnownHeader::FromPath)
                                    .unwrap_or_default(),
                            );
                            cur.to.extend_from_slice(
                                head.raw(crate::wire::KnownHeader::ToPath)
                                    .unwrap_or_default(),
                            );
                            cur.received = 0;
                            cur.slot = None;
                            cur.range = head.byte_range();
                            cur.start = cur.range.map_or(0, |r| r.start - 1);
                            cur.status = head.status();
                            cur.report_ns = 0;
                            cur.content_type = head
                                .raw(crate::wire::KnownHeader::ContentType)
                                .map_or((0, 0), |ct| {
                                    // The value is a sub-slice of `input`: its stream position.
                                    let at = ct.as_ptr() as usize - input.as_ptr() as usize;
                                    (base + at as u64, ct.len() as u32)
                                });
                            match head.method() {
                                None => {
                                    cur.kind = CurKind::Response;
                                    // A response to our AUTH (RFC 4976 §5): the relay
                                    // client reads its headers (challenge, Use-Path).
                                    if let Some(a) = c.auth.as_mut()
                                        && a.awaits(head.transaction_id())
                                    {
                                        auth = Some(a.handle_response(now, &head));
                                    }
                                }
                                Some(m) => {
                                    let is_report = m == Method::Report;
                                    cur.is_send = m == Method::Send;
                                    cur.policy = response_policy(is_report, head.failure_report());
                                    let found = lookup(
                                        &self.sessions,
                                        &cur.to,
                                        self.cfg.match_session_id_only,
                                    );
                                    cur.session = found.map(|s| s as u32);
                                    if is_report {
                                        cur.kind = CurKind::Report;
                                        if let Some(st) = head.report_status() {
                                            cur.report_ns = st.namespace;
                                            cur.status = Some(st.code);
                                        }
                                    } else if found.is_none() {
                                        cur.kind = CurKind::Other;
                                        cur.verdict = Some(StatusCode::SESSION_DOES_NOT_EXIST);
                                    } else if !cur.is_send {
                                        cur.kind = CurKind::Other;
                                        cur.verdict = Some(StatusCode::METHOD_NOT_UNDERSTOOD);
                                    } else if cur
                                        .tid
                                        .is_some_and(|t| c.open_in.iter().any(|o| o.tid == t))
                                    {
                                        // A concurrent duplicate transaction id (P-44).
                                        cur.kind = CurKind::Other;
                                        cur.verdict = Some(StatusCode::BAD_REQUEST);
                                    } else {
                                        cur.kind = CurKind::Send;
                                        if cur.message.is_none() {
                                            cur.verdict = Some(StatusCode::BAD_REQUEST);
                                        } else if head.has_body()
                                            && !accepts(&self.cfg.accept_types, &head)
                                        {
                                            cur.verdict = Some(StatusCode::UNSUPPORTED_MEDIA_TYPE);
                                        }
                                        cur.report_ns =
                                            u16::from(head.success_report() == SuccessReport::Yes);
                                    }
                                }
                            }
                            Step::Head
                        }
                        WireEvent::Body(b) => Step::Body {
                            pos: base,
                            len: b.len(),
                        },
                        WireEvent::End(f) => Step::End(f),
                        _ => Step::NeedMore,
                    };
                    c.in_start += n;
                    if matches!(step, Step::NeedMore) && n > 0 {
                        continue;
                    }
                    step
                }
                Err(e) => {
                    // Address a 400 if the request can still be identified.
                    let mut answered = false;
                    if fcur.kind == CurKind::Ignore {
                        if let Some(h) = decoder.failed_head(input)
                            && let Some(m) = h.method()
                        {
                            let policy = response_policy(m == Method::Report, h.failure_report());
                            let to = h.raw(crate::wire::KnownHeader::ToPath);
                            let own = to.and_then(|t| path_iter(t).next()).and_then(Result::ok);
                            if let (Some(own), Some(from)) = (own, h.from_path())
                                && policy.answers(e.status())
                            {
                                answered = write_response_to(
                                    &mut c.ctrl,
                                    h.transaction_id(),
                                    m == Method::Send,
                                    from,
                                    e.status(),
                                    None,
                                    own,
                                );
                            }
                        }
                    } else {
                        fcur.verdict = Some(e.status());
                        answered = true;
                    }
                    let _ = answered;
                    if decoder.skip_message() {
                        if fcur.kind == CurKind::Ignore {
                            fcur.kind = CurKind::Ignore;
                        }
                        Step::Error
                    } else {
                        self.lose_connection(conn, ConnectionError::Malformed(e));
                        return;
                    }
                }
            };
            if let Some(ev) = auth {
                self.auth_progress(conn, now, ev.as_ref());
            }
            match step {
                Step::NeedMore => return,
                Step::Error => {}
                Step::Head => self.on_head(ci, now),
                Step::Body { pos, len } => self.on_body(ci, pos, len, now),
                Step::End(flag) => self.on_end(ci, flag, now),
            }
        }
    }

    fn on_head(&mut self, ci: usize, now: Instant) {
        let Some(c) = self.conns[ci].as_mut() else {
            return;
        };
        let Some(cur) = c.frame.as_mut().map(|f| &mut f.cur) else {
            return;
        };
        let Some(si) = cur.session else { return };
        if cur.kind == CurKind::Report {
            return;
        }
        // Binding (R4975-030) and the one-connection rule (R4975-032).
        let Some(s) = self.sessions[si as usize].as_mut() else {
            return;
        };
        match s.conn {
            Some(b) if b as usize != ci => {
                cur.verdict = Some(StatusCode::SESSION_ALREADY_IN_USE);
                return;
            }
            Some(_) => {}
            None => {
                s.conn = Some(ci as u32);
                c.idle = false;
                c.idle_since = None;
                self.events.push_back(Event::SessionBound {
                    session: SessionId(si),
                    connection: super::ConnectionId(ci as u32),
                });
                // Messages queued before the binding may go now (R4975-024).
                for (o, slot) in self.outs.iter_mut().enumerate() {
                    if let Some(m) = slot.msg.as_mut()
                        && m.session == si
                        && !m.queued
                    {
                        m.queued = true;
                        if c.queue.capacity() == 0 {
                            c.queue = super::take_queue(
                                &mut self.spare_queues,
                                self.cfg.limits.max_outgoing_messages,
                            );
                        }
                        c.queue.push_back(o as u32);
                    }
                }
            }
        }
        if cur.kind != CurKind::Send || cur.verdict.is_some() || !cur.has_body {
            return;
        }
        let lim = &self.cfg.limits;
        let id = cur.message.expect("checked in decode");
        let declared = cur.range.and_then(|r| r.total);
        if cur.start > lim.max_message_size || declared.is_some_and(|t| t > lim.max_message_size) {
            // Too large by its own Byte-Range (P-35, R4975-236): refuse the chunk before
            // anything of it reaches the application, and drop the message if earlier
            // chunks (total `*`) started it.
            cur.verdict = Some(StatusCode::STOP_SENDING);
            if let Some(m) = s.incoming.iter_mut().find(|m| m.active && m.id == id) {
                m.active = false;
                self.events.push_back(Event::MessageAborted {
                    session: SessionId(si),
                    message: id,
                    reason: AbortReason::TooLarge,
                });
            }
            return;
        }
        let slot = match s.incoming.iter().position(|m| m.active && m.id == id) {
            Some(i) => i,
            None => match s.incoming.iter().position(|m| !m.active).or_else(|| {
                // The table grows with use, up to its limit (P-35).
                (s.incoming.len() < lim.max_incoming_messages).then(|| {
                    if s.incoming.capacity() == 0 {
                        s.incoming.reserve_exact(lim.max_incoming_messages);
                    }
                    s.incoming.push(super::InMsg::unused(lim.max_ranges, now));
                    s.incoming.len() - 1
                })
            }) {
                Some(i) => {
                    let seen = s.done_index(id).map(|d| s.done[d]);
                    if let Some(st) = seen.and_then(|d| d.rejected) {
                        // The application rejected this message: refuse its chunks.
                        cur.verdict = Some(st);
                        return;
                    }
                    let m = &mut s.incoming[i];
                    m.active = true;
                    m.id = id;
                    m.ranges.clear();
                    m.len = None;
                    m.policy = cur.policy;
                    m.declared = None;
                    m.duplicate = seen.is_some();
                    // The first chunk's Success-Report governs (P-22).
                    m.success_report = if cur.report_ns == 1 {
                        SuccessReport::Yes
                    } else {
                        SuccessReport::No
                    };
                    self.events.push_back(Event::MessageStarted {
                        session: SessionId(si),
                        message: id,
                        total: cur.range.and_then(|r| r.total),
                        content_type: super::BodyRef {
                            conn: ci as u32,
                            pos: cur.content_type.0,
                            len: cur.content_type.1,
                            generation: 0,
                        },
                    });
                    i
                }
                None => {
                    // Too many concurrent incoming messages (P-35).
                    cur.verdict = Some(StatusCode::STOP_SENDING);
                    return;
                }
            },
        };
        let m = &mut s.incoming[slot];
        m.last = now;
        if let Some(t) = cur.range.and_then(|r| r.total) {
            m.declared = Some(t);
        }
        cur.slot = Some(slot);
    }

    fn on_body(&mut self, ci: usize, pos: u64, len: usize, now: Instant) {
        let max = self.cfg.limits.max_message_size;
        let Some(c) = self.conns[ci].as_mut() else {
            return;
        };
        let Some(cur) = c.frame.as_mut().map(|f| &mut f.cur) else {
            return;
        };
        let offset = cur.start + cur.received;
        cur.received += len as u64;
        if cur.kind != CurKind::Send || cur.verdict.is_some() {
            return;
        }
        let (Some(si), Some(message), Some(slot)) = (cur.session, cur.message, cur.slot) else {
            return;
        };
        if offset + len as u64 > max {
            // Too large, learnt mid-chunk: stop the sender now with a failure REPORT
            // `000 413` (R4975-161/206) instead of waiting for an end-line that may never
            // come; the chunk's own response follows at its end.
            cur.verdict = Some(StatusCode::STOP_SENDING);
            cur.slot = None;
            let (policy, first) = (cur.policy, cur.start);
            let Some(m) = self.sessions[si as usize]
                .as_mut()
                .map(|s| &mut s.incoming[slot])
                .filter(|m| m.active && m.id == message)
            else {
                return;
            };
            m.active = false;
            let total = m.len.or(m.declared);
            self.events.push_back(Event::MessageAborted {
                session: SessionId(si),
                message,
                reason: AbortReason::TooLarge,
            });
            if policy != super::ResponsePolicy::Never {
                let range = ByteRange {
                    start: first + 1,
                    end: Some(offset.max(first)),
                    total,
                };
                self.failure_report(ci, si as usize, message, range, StatusCode::STOP_SENDING);
            }
            return;
        }
        let Some(m) = self.sessions[si as usize]
            .as_mut()
            .map(|s| &mut s.incoming[slot])
            .filter(|m| m.active && m.id == message)
        else {
            return;
        };
        // A long chunk is activity too: only a silent message goes idle.
        m.last = now;
        self.events.push_back(Event::Data {
            session: SessionId(si),
            message,
            offset,
            body: super::BodyRef {
                conn: ci as u32,
                len: len as u32,
                pos,
                generation: 0,
            },
            duplicate: m.duplicate,
        });
    }

    fn on_end(&mut self, ci: usize, flag: Flag, _now: Instant) {
        let Some(c) = self.conns[ci].as_mut() else {
            return;
        };
        let Some(cur) = c.frame.as_mut().map(|f| &mut f.cur) else {
            return;
        };
        let kind = cur.kind;
        cur.kind = CurKind::Ignore;
        // Non-SEND requests are never chunked and carry at most 10240 octets of body
        // (R4975-075); a REPORT that breaks that is dropped (P-20: never answered).
        let whole = flag == Flag::End && cur.received <= MAX_NON_SEND_BODY;
        match kind {
            CurKind::Ignore => {}
            CurKind::Response => self.on_response(ci),
            CurKind::Report if whole => self.on_report(ci),
            CurKind::Report => {}
            CurKind::Other => self.respond(ci, None),
            CurKind::Send => self.on_send_end(ci, flag),
        }
    }

    fn on_send_end(&mut self, ci: usize, flag: Flag) {
        let Some(c) = self.conns[ci].as_mut() else {
            return;
        };
        let Some(cur) = c.frame.as_mut().map(|f| &mut f.cur) else {
            return;
        };
        let (Some(si), Some(id)) = (cur.session, cur.message) else {
            return self.respond(ci, None);
        };
        let Some(s) = self.sessions[si as usize].as_mut() else {
            return;
        };
        let session = SessionId(si);
        if let Some(v) = cur.verdict {
            if let Some(slot) = cur.slot {
                s.incoming[slot].active = false;
                if v == StatusCode::STOP_SENDING {
                    self.events.push_back(Event::MessageAborted {
                        session,
                        message: id,
                        reason: AbortReason::TooLarge,
                    });
                }
            }
            return self.respond(ci, None);
        }
        let Some(slot) = cur.slot else {
            // Bodiless SEND: nothing to reassemble and no success REPORT (P-46).
            self.events.push_back(Event::MessageReceived {
                session,
                message: id,
                len: 0,
                bodiless: true,
                duplicate: false,
            });
            return self.respond(ci, None);
        };
        let window = self.cfg.limits.duplicate_window;
        let m = &mut s.incoming[slot];
        if !m.active || m.id != id {
            // Rejected or dropped while this chunk was streaming.
            return self.respond(ci, None);
        }
        let end = cur.start + cur.received;
        if m.ranges.insert(cur.start, end).is_err() {
            m.active = false;
            self.events.push_back(Event::MessageAborted {
                session,
                message: id,
                reason: AbortReason::TooLarge,
            });
            return self.respond(ci, Some(StatusCode::STOP_SENDING));
        }
        match flag {
            Flag::Abort => {
                m.active = false;
                self.events.push_back(Event::MessageAborted {
                    session,
                    message: id,
                    reason: AbortReason::Peer,
                });
                return self.respond(ci, None);
            }
            Flag::End => m.len = Some(end),
            _ => {}
        }
        // Respond before reporting: the 200 is the transaction's answer (R4975-013).
        let report = m.len.filter(|&l| m.ranges.covers(l));
        let wants_report = m.success_report == SuccessReport::Yes;
        if let Some(len) = report {
            m.active = false;
            let (duplicate, policy) = (m.duplicate, m.policy);
            s.remember(
                super::Done {
                    id,
                    len,
                    policy,
                    rejected: None,
                },
                window,
            );
            self.events.push_back(Event::MessageReceived {
                session,
                message: id,
                len,
                bodiless: false,
                duplicate,
            });
        }
        self.respond(ci, None);
        if let (Some(len), true) = (report, wants_report) {
            self.success_report(ci, si as usize, id, len);
        }
    }

    /// Writes the response to the current request if the policy allows (P-01).
    fn respond(&mut self, ci: usize, status: Option<StatusCode>) {
        let Some(c) = self.conns[ci].as_mut() else {
            return;
        };
        let Some(cur) = c.frame.as_ref().map(|f| &f.cur) else {
            return;
        };
        let status = status.or(cur.verdict).unwrap_or(StatusCode::OK);
        if !cur.policy.answers(status) {
            return;
        }
        let Some(tid) = cur.tid else { return };
        let own_session = cur
            .session
            .and_then(|s| self.sessions[s as usize].as_ref())
            .filter(|_| status != StatusCode::SESSION_DOES_NOT_EXIST);
        let own = match own_session {
            Some(s) => Some(s.local.as_ref()),
            None => path_iter(&cur.to).next().and_then(Result::ok),
        };
        let Some(own) = own else { return };
        if write_response_to(
            &mut c.ctrl,
            tid.as_str(),
            cur.is_send,
            path_iter(&cur.from),
            status,
            None,
            own,
        ) && c.open_in.len() < c.tx_max as usize
        {
            if c.open_in.capacity() == 0
                && let Some(v) = self.spare_open_in.pop()
            {
                c.open_in = v;
            }
            super::grow_within(&mut c.open_in, c.tx_max as usize);
            c.open_in.push(super::InTx {
                tid,
                end: c.ctrl.len() as u64,
                in_out: false,
            });
        }
    }

    /// A success REPORT for a whole message (R4975-127/129): To-Path = the request's full
    /// From-Path, From-Path = our URI.
    fn success_report(&mut self, ci: usize, si: usize, id: MessageId, len: u64) {
        let tid = TransactionId::generate(&mut *self.rng);
        let Some(c) = self.conns[ci].as_mut() else {
            return;
        };
        let Some(s) = self.sessions[si].as_ref() else {
            return;
        };
        let Some(f) = c.frame.as_ref() else {
            return;
        };
        let to = path_iter(&f.cur.from).flatten();
        write_report(
            &mut c.ctrl,
            tid.as_str(),
            to,
            s.local.as_ref(),
            id.as_str(),
            Some(ByteRange::whole(len)),
            &Status::msrp(StatusCode::OK),
        );
    }

    /// A failure REPORT (R4975-136/137) about message `id` of session `si`: To-Path = the
    /// session's remote path, From-Path = our URI, `Status: 000 <status>`.
    pub(super) fn failure_report(
        &mut self,
        ci: usize,
        si: usize,
        id: MessageId,
        range: ByteRange,
        status: StatusCode,
    ) {
        let tid = TransactionId::generate(&mut *self.rng);
        let (Some(c), Some(s)) = (
            self.conns.get_mut(ci).and_then(Option::as_mut),
            self.sessions.get(si).and_then(Option::as_ref),
        ) else {
            return;
        };
        write_report(
            &mut c.ctrl,
            tid.as_str(),
            s.remote.iter().map(Uri::as_ref),
            s.local.as_ref(),
            id.as_str(),
            Some(range),
            &Status::msrp(status),
        );
    }

    fn on_response(&mut self, ci: usize) {
        let Some(c) = self.conns[ci].as_mut() else {
            return;
        };
        let Some(f) = c.frame.as_ref() else {
            return;
        };
        let (Some(tid), Some(status)) = (f.cur.tid, f.cur.status) else {
            return;
        };
        let Some(i) = c.txs.iter().position(|t| t.is_some_and(|t| t.tid == tid)) else {
            return; // unknown or finished transaction: ignore
        };
        let tx = c.txs[i].expect("found");
        if status.is_success() {
            if !tx.expect_response {
                return; // an unexpected 200 to `partial` (P-01)
            }
            c.drop_tx(i);
            if let Some(m) = self.outs[tx.slot as usize].msg.as_mut()
                && m.id == tx.message
            {
                m.open_tx = m.open_tx.saturating_sub(1);
                self.check_out(tx.slot as usize);
            }
        } else if self.outs[tx.slot as usize]
            .msg
            .as_ref()
            .is_some_and(|m| m.id == tx.message)
        {
            // Any error stops the whole Message-ID (P-13, R4975-162).
            self.fail_out(tx.slot as usize, tx.message, status, false);
        } else if tx.lingering {
            // A `partial` message already written (and reported sent): its error still
            // reaches the user (R4975-096), once.
            self.late_failure(tx.session, tx.message, status);
        }
    }

    /// A failure for message `id` of session `si` whose outcome was already reported:
    /// an error response to a lingering `partial` chunk, or a failure REPORT that came
    /// after the hop-by-hop 200. The application learns it once: the id leaves the
    /// session's late-report window and its lingering transactions go. Returns whether
    /// the message was known (reported sent and not failed since).
    fn late_failure(&mut self, si: u32, id: MessageId, status: StatusCode) -> bool {
        let mut known = self
            .sessions
            .get_mut(si as usize)
            .and_then(Option::as_mut)
            .is_some_and(|s| {
                let at = s.sent.iter().position(|x| *x == id);
                at.and_then(|i| s.sent.remove(i)).is_some()
            });
        for c in self.conns.iter_mut().flatten() {
            for j in 0..c.txs.len() {
                if c.txs[j].is_some_and(|t| t.lingering && t.message == id && t.session == si) {
                    c.drop_tx(j);
                    known = true;
                }
            }
        }
        if known {
            self.events.push_back(Event::MessageFailed {
                session: SessionId(si),
                message: id,
                status,
                local: false,
            });
        }
        known
    }

    fn on_report(&mut self, ci: usize) {
        let Some(c) = self.conns[ci].as_mut() else {
            return;
        };
        let Some(cur) = c.frame.as_ref().map(|f| &f.cur) else {
            return;
        };
        // Never answered (R4975-125); unknown session or message: silently dropped
        // (R4975-099); other namespaces ignored (P-23).
        let (Some(si), Some(id), Some(status)) = (cur.session, cur.message, cur.status) else {
            return;
        };
        if cur.report_ns != 0 {
            return;
        }
        let range = cur.range;
        let Some(slot) = self.outs.iter().position(|s| {
            s.msg
                .as_ref()
                .is_some_and(|m| m.id == id && m.session == si)
        }) else {
            // A message whose outcome was already reported (a relay's REPORT comes after
            // its hop-by-hop 200): a failure still reaches the application.
            if !status.is_success() && self.late_failure(si, id, status) {
                self.report_loss(si, status);
            }
            return;
        };
        if status.is_success() {
            let o = &mut self.outs[slot];
            let Some(m) = o.msg.as_mut() else { return };
            m.reported = true;
            let (start, end) = match range {
                Some(r) => (r.start - 1, r.end.or(r.total).unwrap_or(m.sent)),
                None => (0, m.sent),
            };
            let _ = o.confirmed.insert(start, end);
            self.check_out(slot);
        } else {
            // `000 413` and other failures act like the response (R4975-161).
            self.fail_out(slot, id, status, false);
            self.report_loss(si, status);
        }
    }

    /// R4975-164: a failure REPORT saying bytes were not received — 408 from a relay
    /// whose next hop never answered, 481 because the path is gone — means the session
    /// has failed. Other statuses (413, 415, …) are the receiver's verdict on one message
    /// and end only that message.
    fn report_loss(&mut self, si: u32, status: StatusCode) {
        if status == StatusCode::REQUEST_TIMEOUT || status == StatusCode::SESSION_DOES_NOT_EXIST {
            self.fail_session(si as usize, super::SessionError::DataLost(status), status);
        }
    }
}
