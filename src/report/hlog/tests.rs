//! The interval log written, then read back by the crate's reader and ours.

use super::*;

#[test]
fn round_trips_through_the_crate_reader() {
    let r = RunResults::example();
    let bytes = HistogramLog.render(&r).unwrap();
    let text = String::from_utf8(bytes.clone()).unwrap();
    assert!(text.contains("#[StartTime: 1795528800.000 "));
    assert!(text.contains("#[BaseTime: 1795528800.000 "));
    assert!(text.contains("Tag=invite_delivery,0.000,1.000,"));

    // Decode with the crate's own reader, independently of `read`.
    let mut merged = new_histogram();
    let mut tags = std::collections::BTreeSet::new();
    for entry in IntervalLogIterator::new(&bytes) {
        if let LogEntry::Interval(ih) = entry.unwrap() {
            let tag = ih.tag().unwrap().as_str();
            tags.insert(tag.to_string());
            if tag == "invite_delivery" {
                let raw = base64_decode(ih.encoded_histogram()).unwrap();
                let h: Histogram<u64> = Deserializer::new().deserialize(&mut &raw[..]).unwrap();
                merged.add(&h).unwrap();
            }
        }
    }
    let recorded = Measure::ALL
        .iter()
        .filter(|m| r.percentiles(**m).count > 0)
        .count();
    assert_eq!(
        tags.len(),
        recorded,
        "one tag per measurement that recorded"
    );
    assert_eq!(
        Percentiles::of(&merged),
        r.percentiles(Measure::InviteDelivery)
    );

    let back = read(&bytes, FILE_NAME).unwrap();
    assert!(back.notes.is_empty(), "{:?}", back.notes);
    assert_eq!(back.start_unix_ms, Some(r.run.start_unix_ms));
    assert_eq!(back.intervals, r.intervals);
    for m in Measure::ALL {
        assert_eq!(
            Percentiles::of(&back.histograms[m.index()]),
            r.percentiles(m)
        );
    }
}

#[test]
fn a_truncated_log_keeps_complete_intervals() {
    let r = RunResults::example();
    let bytes = HistogramLog.render(&r).unwrap();
    let cut = &bytes[..bytes.len() - 40];
    let back = read(cut, FILE_NAME).unwrap();
    assert_eq!(back.intervals.len(), r.intervals.len());
    assert_eq!(back.intervals[..11], r.intervals[..11]);
    assert!(
        back.notes
            .iter()
            .any(|n| n.contains("unreadable from byte")),
        "{:?}",
        back.notes
    );
}

#[test]
fn a_plain_hdrhistogram_log_is_read_with_a_note() {
    let r = RunResults::example();
    let bytes = HistogramLog.render(&r).unwrap();
    let text = String::from_utf8(bytes).unwrap();
    let plain: String = text
        .lines()
        .filter(|l| !l.starts_with(META_PREFIX))
        .map(|l| format!("{l}\n"))
        .collect();
    let back = read(plain.as_bytes(), FILE_NAME).unwrap();
    assert_eq!(back.intervals.len(), 12);
    assert_eq!(back.intervals[3].measures, r.intervals[3].measures);
    assert_eq!(back.intervals[3].length_ms, 1000);
    assert_eq!(back.intervals[3].counter(Counter::InvitesOffered), 0);
    assert!(
        back.notes[0].contains("12 intervals have histograms only"),
        "{:?}",
        back.notes
    );
}

#[test]
fn snapshots_read_back_as_they_were_appended() {
    let snapshots = crate::report::fixtures::example_snapshots();
    let r = RunResults::example();
    let mut bytes = header(&r.run).unwrap();
    for s in &snapshots {
        bytes.extend_from_slice(&interval_chunk(s).unwrap());
    }
    let back = read_snapshots(&bytes, FILE_NAME).unwrap();
    assert!(back.notes.is_empty(), "{:?}", back.notes);
    assert_eq!(back.snapshots.len(), snapshots.len());
    for (b, s) in back.snapshots.iter().zip(&snapshots) {
        assert_eq!(
            (b.index, b.start_offset, b.length),
            (s.index, s.start_offset, s.length)
        );
        assert_eq!((b.counters, b.gauges), (s.counters, s.gauges));
        assert_eq!((&b.errors, b.health), (&s.errors, s.health));
        assert_eq!(b.histograms, s.histograms);
    }
}

#[test]
fn incremental_chunks_equal_the_whole_file() {
    let r = RunResults::example();
    let mut incremental = header(&r.run).unwrap();
    for s in crate::report::fixtures::example_snapshots() {
        incremental.extend_from_slice(&interval_chunk(&s).unwrap());
    }
    assert_eq!(incremental, HistogramLog.render(&r).unwrap());
}

#[test]
fn an_interval_grown_to_its_values_is_written_in_the_standard_shape() {
    let second = Duration::from_secs(1);
    let mut s = IntervalSnapshot::empty(0, Duration::ZERO, 0, second);
    let mut grown = crate::metrics::histogram::growing_histogram_set();
    grown[Measure::InviteDelivery.index()]
        .record(1_500)
        .unwrap();
    assert!(grown[Measure::InviteDelivery.index()].high() < crate::metrics::histogram::HIGHEST_US);
    s.histograms = grown;
    let bytes = interval_chunk(&s).unwrap();
    let mut decoded = Vec::new();
    for entry in IntervalLogIterator::new(&bytes) {
        if let Ok(LogEntry::Interval(ih)) = entry {
            let raw = base64_decode(ih.encoded_histogram()).unwrap();
            let h: Histogram<u64> = Deserializer::new().deserialize(&mut &raw[..]).unwrap();
            decoded.push(h);
        }
    }
    assert_eq!(decoded.len(), 1);
    // A reader may add any later interval into this one without resizing.
    assert_eq!(decoded[0].high(), new_histogram().high());
    assert_eq!(decoded[0].len(), 1);
    assert_eq!(
        decoded[0].value_at_quantile(0.5),
        decoded[0].highest_equivalent(1_500)
    );
}
