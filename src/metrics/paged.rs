//! A recording thread's histogram of one measurement: the layout of the
//! standard latency histogram (1 µs .. 1 h, 3 significant digits, see
//! [`super::histogram`]) with its counts split into pages that exist only
//! once a value lands in them.
//!
//! A full `hdrhistogram::Histogram` of that shape is 23,552 counts (184 KiB)
//! committed at creation; every recording shard held one per measurement and
//! a spare of each, about 22 MiB per process before the first agent started.
//! A latency measurement touches a handful of pages (its values span a few
//! powers of two), so a [`PagedHistogram`] costs a few KiB, and draining it
//! into a standard histogram is lossless: every count goes to the same index.

use hdrhistogram::Histogram;

use super::histogram::HIGHEST_US;

/// Counts of one page: the upper half of one bucket (the first two pages
/// are bucket 0, which uses all of its sub-buckets).
const PAGE: usize = 1 << HALF_MAGNITUDE;
/// log2 of half the sub-bucket count: 3 significant digits need 2,048
/// sub-buckets (the smallest power of two >= 2 x 10^3).
const HALF_MAGNITUDE: u32 = 10;
/// `64 - log2(sub-bucket count)`: the leading zeros of the largest value of bucket 0.
const LEADING_ZERO_BASE: u32 = 64 - (HALF_MAGNITUDE + 1);
/// Values below this are in bucket 0, one count per value.
const SUB_BUCKET_MASK: u64 = (1 << (HALF_MAGNITUDE + 1)) - 1;
/// Pages of the whole range: 22 buckets cover 1 h (2,048 x 2^21 > 3.6 x 10^9), plus one.
const PAGES: usize = 23;

/// One page of counts. `u32` is plenty: a page is drained every interval,
/// and one thread cannot record four billion values in one.
type Page = Box<[u32; PAGE]>;

/// A sparse recorder of one measurement on one shard (see the module docs).
#[derive(Default)]
pub struct PagedHistogram {
    pages: [Option<Page>; PAGES],
    /// Values recorded since the last drain.
    len: u64,
}

/// The counts index of `value` in the standard histogram's layout; values
/// past the last index are clamped to one hour (as `saturating_record` does).
#[inline]
fn index_of(value: u64) -> usize {
    let bucket = LEADING_ZERO_BASE - (value | SUB_BUCKET_MASK).leading_zeros();
    let sub_bucket = (value >> bucket) as usize;
    let index = ((bucket as usize + 1) << HALF_MAGNITUDE) + sub_bucket - PAGE;
    if index < PAGE * PAGES {
        index
    } else {
        index_of(HIGHEST_US)
    }
}

/// The lowest value counted at `index` (the inverse of [`index_of`]).
fn value_at(index: usize) -> u64 {
    let bucket = (index >> HALF_MAGNITUDE) as u32;
    let offset = (index & (PAGE - 1)) as u64;
    if bucket == 0 {
        offset
    } else {
        (offset + PAGE as u64) << (bucket - 1)
    }
}

impl PagedHistogram {
    /// Counts one value (µs); values above one hour count as one hour.
    #[inline]
    pub fn record(&mut self, value: u64) {
        let index = index_of(value);
        let page = self.pages[index >> HALF_MAGNITUDE].get_or_insert_with(|| Box::new([0; PAGE]));
        let count = &mut page[index & (PAGE - 1)];
        *count = count.saturating_add(1);
        self.len += 1;
    }

    /// Values recorded since the last drain.
    #[cfg(test)]
    pub fn len(&self) -> u64 {
        self.len
    }

    /// True when nothing was recorded since the last drain.
    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Adds every count into `into` (a standard histogram) and zeroes them.
    /// The pages stay allocated: the same values come back next interval.
    pub fn drain_into(&mut self, into: &mut Histogram<u64>) {
        if self.len == 0 {
            return;
        }
        for (number, page) in self.pages.iter_mut().enumerate() {
            let Some(page) = page else { continue };
            for (offset, count) in page.iter_mut().enumerate() {
                if *count != 0 {
                    let (value, n) = (
                        value_at((number << HALF_MAGNITUDE) + offset),
                        u64::from(*count),
                    );
                    // A growing `into` grows to the value; a fixed one clamps.
                    if into.record_n(value, n).is_err() {
                        into.saturating_record_n(value, n);
                    }
                    *count = 0;
                }
            }
        }
        self.len = 0;
    }

    /// Bytes of counts allocated.
    #[cfg(test)]
    pub fn allocated_bytes(&self) -> usize {
        self.pages.iter().flatten().count() * std::mem::size_of::<[u32; PAGE]>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::histogram::new_histogram;

    /// Values across the whole range: bucket 0, every power of two and its
    /// neighbours, the top, and beyond it.
    fn probes() -> Vec<u64> {
        let mut values = vec![0, 1, 2, 999, 1000, 1023, 1024, 2047, 2048, 2049, 4095, 4096];
        for shift in 11..33 {
            let p = 1u64 << shift;
            values.extend([p - 1, p, p + 1, p + p / 3]);
        }
        values.extend([
            HIGHEST_US - 1,
            HIGHEST_US,
            HIGHEST_US + 1,
            HIGHEST_US * 10,
            u64::MAX,
        ]);
        values
    }

    #[test]
    fn the_layout_is_the_standard_histograms() {
        let standard = new_histogram();
        let mut pages = 0;
        for v in probes() {
            let index = index_of(v);
            pages = pages.max(index / PAGE + 1);
            let clamped = if v > HIGHEST_US && index == index_of(HIGHEST_US) {
                HIGHEST_US
            } else {
                v
            };
            // The value counted at the index is the one the standard
            // histogram counts the probe as.
            assert_eq!(
                value_at(index),
                standard.lowest_equivalent(clamped),
                "value {v}"
            );
        }
        assert_eq!(pages, PAGES, "the range spans exactly the pages allocated");
        assert_eq!(
            PAGE * PAGES * 8,
            188_416,
            "a full standard histogram's counts"
        );
    }

    #[test]
    fn draining_gives_what_recording_into_the_standard_histogram_gives() {
        let mut paged = PagedHistogram::default();
        let mut direct = new_histogram();
        for (i, v) in probes().into_iter().enumerate() {
            for _ in 0..=(i % 3) {
                paged.record(v);
                direct.saturating_record(v);
            }
        }
        assert_eq!(paged.len(), direct.len());
        let mut drained = new_histogram();
        paged.drain_into(&mut drained);
        assert_eq!(drained, direct);
        assert_eq!((drained.min(), drained.max()), (direct.min(), direct.max()));
        assert_eq!(drained.mean(), direct.mean());
        assert!(paged.is_empty());
        // Zeroed, not freed, and a second drain adds nothing.
        let bytes = paged.allocated_bytes();
        assert!(bytes > 0);
        paged.drain_into(&mut drained);
        assert_eq!(drained, direct);
        assert_eq!(paged.allocated_bytes(), bytes);
    }

    #[test]
    fn a_latency_measurement_touches_a_few_pages() {
        let mut paged = PagedHistogram::default();
        // 100 µs .. 10 ms.
        for v in (100..10_000).step_by(7) {
            paged.record(v);
        }
        assert_eq!(paged.allocated_bytes(), 5 * 4096, "pages 0-4, not 23");
    }
}
