use wsasim_core::consts::*;
use wsasim_core::{Profile, Ptr};
use wsasim_tests::*;

#[test]
fn overlapped_wsasend_with_event_completes_and_reports_bytes() {
    let (mut h, t) = started(Profile::Windows, 1);
    let (c, s) = tcp_pair(&mut h, t, None);
    let ev = h.wsa_create_event(t);
    let ov = overlapped(&mut h, ev);
    let data = bytes(&mut h, &[7u8; 4096]);
    let arr = wsabufs(&mut h, &[(data, 4096)]);
    let sent = dword(&mut h, 0);
    let call = h.wsa_send(t, s, arr, 1, sent, 0, ov, Ptr::NULL);
    assert_eq!(h.done(t, call), 0);
    assert_eq!(read_u32(&h, sent), 4096);
    let evs = h.sim().alloc_bytes(&ev.to_le_bytes());
    let call = h.wsa_wait_for_multiple_events(t, 1, evs, 1, INFINITE, 1);
    assert_eq!(h.done(t, call), 0);
    let flags = dword(&mut h, 0);
    let n = dword(&mut h, 0);
    let call = h.wsa_get_overlapped_result(t, s, ov, n, 0, flags);
    assert_eq!(h.done(t, call), 1);
    assert_eq!(read_u32(&h, n), 4096);
    assert_eq!(drain(&mut h, t, c), vec![7u8; 4096]);
}
