//! How much memory decoding can take: a counting global allocator records the
//! peak heap in use while decoding hostile messages (one test, so nothing
//! else allocates at the same time). The figures are printed for the docs;
//! the assertions are the bounds the codecs promise: a message cannot make
//! the decoder allocate more than a small multiple of its own size, however
//! its lengths are declared.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use hwsnap_cty::{Error, Type, Value, json, msgpack};

struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded to the system allocator unchanged; the
// counters only observe sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = CURRENT.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) };
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            if new_size >= layout.size() {
                let grown = new_size - layout.size();
                let now = CURRENT.fetch_add(grown, Ordering::Relaxed) + grown;
                PEAK.fetch_max(now, Ordering::Relaxed);
            } else {
                CURRENT.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        p
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Peak heap growth (bytes) while running `f`, beyond what was in use before.
fn peak_during<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let base = CURRENT.load(Ordering::SeqCst);
    PEAK.store(base, Ordering::SeqCst);
    let out = f();
    (out, PEAK.load(Ordering::SeqCst).saturating_sub(base))
}

const MIB: usize = 1 << 20;
const MESSAGE: usize = 4 * MIB;

/// A msgpack array32 of `n` nils.
fn nil_list(n: usize) -> Vec<u8> {
    let mut b = Vec::with_capacity(5 + n);
    b.push(0xdd);
    b.extend_from_slice(&u32::try_from(n).unwrap().to_be_bytes());
    b.resize(5 + n, 0xc0);
    b
}

/// A msgpack map32 of `n` entries, keys `k0000000…`, values nil.
fn nil_map(n: usize) -> Vec<u8> {
    let mut b = vec![0xdf];
    b.extend_from_slice(&u32::try_from(n).unwrap().to_be_bytes());
    for i in 0..n {
        let key = format!("{i:x}");
        b.push(0xa0 | u8::try_from(key.len()).unwrap());
        b.extend_from_slice(key.as_bytes());
        b.push(0xc0);
    }
    b
}

fn too_many(r: &Result<Value, Error>) -> bool {
    matches!(r, Err(Error::TooManyElements { .. }))
}

#[test]
fn decoding_memory_is_bounded() {
    let value_size = std::mem::size_of::<Value>();
    println!("size_of::<Value>() = {value_size} bytes");
    assert!(value_size <= 32, "Value grew to {value_size} bytes");

    let list = Type::list(Type::String);
    // 4 MiB of nils declared as one list: refused from its header, before
    // anything is allocated for the elements.
    let bomb = nil_list(MESSAGE - 5);
    let (r, peak) = peak_during(|| msgpack::decode(&bomb, &list));
    println!(
        "msgpack list of {} nils (4 MiB): {r:?}, peak heap {} KiB",
        MESSAGE - 5,
        peak / 1024
    );
    assert!(too_many(&r), "{r:?}");
    assert!(peak < MIB, "peak {peak} bytes");

    // The largest list accepted: its Values are all the memory it takes.
    let limit = hwsnap_cty::MAX_ELEMENTS;
    let largest = nil_list(limit - 1);
    let (r, peak) = peak_during(|| msgpack::decode(&largest, &list).map(drop));
    println!(
        "msgpack list of {} nils ({} KiB): ok, peak heap {} KiB",
        limit - 1,
        largest.len() / 1024,
        peak / 1024
    );
    assert!(r.is_ok(), "{r:?}");
    assert!(peak <= limit * value_size + MIB, "peak {peak} bytes");

    // Many lists in one message share one budget.
    let per = limit / 2 + 1;
    let mut many = vec![0x93]; // a fixarray of three lists
    for _ in 0..3 {
        many.extend_from_slice(&nil_list(per));
    }
    let (r, peak) = peak_during(|| msgpack::decode(&many, &Type::list(list.clone())));
    println!(
        "msgpack 3 lists of {per} nils: {r:?}, peak heap {} KiB",
        peak / 1024
    );
    assert!(too_many(&r), "{r:?}");
    assert!(peak <= 2 * per * value_size + MIB, "peak {peak} bytes");

    // A map: keys and a tree node per entry, still bounded.
    let map = nil_map(limit - 1);
    let (r, peak) = peak_during(|| msgpack::decode(&map, &Type::map(Type::String)).map(drop));
    println!(
        "msgpack map of {} entries ({} KiB): {r:?}, peak heap {} KiB",
        limit - 1,
        map.len() / 1024,
        peak / 1024
    );
    assert!(r.is_ok(), "{r:?}");
    assert!(peak < 48 * MIB, "peak {peak} bytes");
    let map = nil_map(limit + 1);
    let (r, _) = peak_during(|| msgpack::decode(&map, &Type::map(Type::String)));
    assert!(too_many(&r), "{r:?}");

    // JSON: counted before parsing, so serde_json's own tree never grows either.
    let mut text = String::with_capacity(MESSAGE);
    text.push('[');
    while text.len() < MESSAGE - 5 {
        text.push_str("null,");
    }
    text.push_str("null]");
    let (r, peak) = peak_during(|| json::decode(text.as_bytes(), &list));
    println!(
        "JSON list of {} nulls (4 MiB): {r:?}, peak heap {} KiB",
        text.len() / 5,
        peak / 1024
    );
    assert!(too_many(&r), "{r:?}");
    assert!(peak < MIB, "peak {peak} bytes");
    let text = format!("[{}0]", "0,".repeat(limit - 2));
    let (r, peak) =
        peak_during(|| json::decode(text.as_bytes(), &Type::list(Type::Number)).map(drop));
    println!(
        "JSON list of {} numbers ({} KiB): {r:?}, peak heap {} KiB",
        limit - 1,
        text.len() / 1024,
        peak / 1024
    );
    assert!(r.is_ok(), "{r:?}");
    assert!(peak < 48 * MIB, "peak {peak} bytes");
}
