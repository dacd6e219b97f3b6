// The record walk of a RecordBatch v2 records section, as src/format/record-batch.ts's
// checkRecordSection does it (the JS walk stays the reference, and says what is wrong: this one
// only gives the verdict, for the produce and append hot paths, where a batch is almost always
// valid and a JS walk costs ~30 ns per record).
#pragma once

#include <cstddef>
#include <cstdint>

namespace strand {

struct RecordSectionSpec {
  int64_t start;
  int64_t end;
  int64_t count;       // records the batch header claims
  int64_t lastDelta;   // the header's last offset delta
  bool sequential;     // offset deltas must be exactly 0..count-1
  bool keysRequired;   // every record must have a key (compacted logs)
};

// True when the records in [start, end) of `data` tile the section exactly, every varint is
// well formed and in range, offset deltas increase (and run 0..count-1 when sequential), and
// (when keysRequired) no key is null. `start`/`end` must lie within `length`.
bool RecordSectionValid(const uint8_t* data, size_t length, const RecordSectionSpec& spec);

}  // namespace strand
