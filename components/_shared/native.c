/* tfxkit's native reading path: TFRecord framing and a decoder of plain tf.Examples.
 *
 * Plain C (no Python API), built by setup.py as an optional extension and called through
 * ctypes by components/_shared/native.py, which releases the GIL for every call. Every read is
 * bounds-checked against the buffer it was given: damaged or hostile bytes make a function
 * report "not handled here", never read outside its input.
 *
 * The decoder accepts only the shape tfxkit's ExampleGens write under a `feature_types`
 * contract -- each feature a known name, at most once, with no value or one value of its
 * declared kind -- and says which record is not of that shape; native.py then hands the whole
 * batch to tf.io.parse_example, so results never depend on which decoder ran.
 */
#include <stdint.h>
#include <string.h>

/* The calling convention of the functions below: native.py refuses a library that says
 * another (one built from an older native.c and not rebuilt), rather than call it wrongly. */
#define TFXKIT_NATIVE_ABI 1

int64_t tfxkit_native_abi(void) { return TFXKIT_NATIVE_ABI; }

#define KIND_BYTES 0
#define KIND_FLOAT 1
#define KIND_INT 2

/* The varint at b[p..end): its value in *out and the position after it, or -1 when it runs
 * past `end` or past 64 bits. */
static int64_t read_varint(const uint8_t *b, int64_t p, int64_t end, uint64_t *out) {
    uint64_t value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (p >= end) return -1;
        uint8_t c = b[p++];
        if (shift == 63 && c > 1) return -1;
        value |= (uint64_t)(c & 0x7F) << shift;
        if (!(c & 0x80)) {
            *out = value;
            return p;
        }
    }
    return -1;
}

/* A length-delimited field's length at b[p..end): the position of its first byte, with the
 * position after it in *stop, or -1 when it does not fit before `end`. */
static int64_t read_length(const uint8_t *b, int64_t p, int64_t end, int64_t *stop) {
    uint64_t n;
    p = read_varint(b, p, end, &n);
    if (p < 0 || n > (uint64_t)(end - p)) return -1;
    *stop = p + (int64_t)n;
    return p;
}

/* Frame TFRecords in buf[pos..len): for up to `max` complete records, starts[k] and lens[k]
 * are the offset and length of a record's data. Returns the number framed; *next is the
 * offset after the last of them; *bad is the offset of a header claiming more than
 * `max_record` bytes (framing stops there), else -1. As tfrecord.py's reader, a header is
 * judged once its 12 bytes are there (even with `max` records framed or the record's data and
 * footer not there yet), so a file ending in such a header is corrupt, not truncated.
 * Checksums are not read. */
int64_t tfxkit_frame_records(const uint8_t *buf, int64_t len, int64_t pos, int64_t max,
                             uint64_t max_record, int64_t *starts, int64_t *lens,
                             int64_t *next, int64_t *bad) {
    int64_t count = 0;
    *bad = -1;
    while (len - pos >= 12) {
        uint64_t n = 0;
        for (int i = 7; i >= 0; i--) n = (n << 8) | buf[pos + i];
        if (n > max_record) {
            *bad = pos;
            break;
        }
        if (count >= max || (uint64_t)(len - pos) < 16 + n) break;
        starts[count] = pos + 12;
        lens[count] = (int64_t)n;
        count++;
        pos += 16 + (int64_t)n;
    }
    *next = pos;
    return count;
}

/* A hash of the name b[p..p+k) from its length and first and last 8 bytes (byte by byte
 * below 8): native.py's name_hash computes the same. */
static uint64_t name_hash(const uint8_t *b, int64_t p, int64_t k) {
    uint64_t first = 0, last = 0;
    if (k >= 8) {
        memcpy(&first, b + p, 8);
        memcpy(&last, b + p + k - 8, 8);
    } else {
        for (int64_t i = 0; i < k; i++) first |= (uint64_t)b[p + i] << (8 * i);
    }
    uint64_t h = (first * 0x9E3779B97F4A7C15ULL) ^ (last * 0xC2B2AE3D27D4EB4FULL) ^ (uint64_t)k;
    return h ^ (h >> 29);
}

/* The index of the feature named b[p..p+k), or -1: `table` (size a power of two, `mask` + 1)
 * holds each name's index at its hash, the next free slot on a collision, -1 elsewhere. */
static int64_t find_name(const uint8_t *b, int64_t p, int64_t k, const uint8_t *names,
                         const int64_t *name_at, const int32_t *table, uint64_t mask) {
    for (uint64_t slot = name_hash(b, p, k) & mask;; slot = (slot + 1) & mask) {
        int32_t f = table[slot];
        if (f < 0) return -1;
        if (name_at[f + 1] - name_at[f] == k && memcmp(names + name_at[f], b + p, (size_t)k) == 0)
            return f;
    }
}

/* One feature map entry b[p..end) (key, then value): its value, if any, stored for row `row`.
 * Returns 0, or -1 when the entry is not of the plain shape. */
static int decode_entry(const uint8_t *b, int64_t p, int64_t end, int64_t row,
                        const int32_t *table, uint64_t mask, const uint8_t *names,
                        const int64_t *name_at,
                        const uint8_t *kinds, int64_t *filled, void **values,
                        int64_t **byte_lens, int64_t *seen) {
    int64_t stop;
    if (p >= end || b[p] != 0x0A) return -1; /* key: field 1, length-delimited */
    p = read_length(b, p + 1, end, &stop);
    if (p < 0) return -1;
    int64_t f = find_name(b, p, stop - p, names, name_at, table, mask);
    if (f < 0 || seen[f] == row) return -1; /* unknown or repeated name */
    seen[f] = row;
    p = stop;
    if (p >= end || b[p] != 0x12) return -1; /* value: field 2, length-delimited */
    p = read_length(b, p + 1, end, &stop);
    if (p < 0 || stop != end) return -1;
    if (p == end) return 0; /* Feature {}: no value */
    static const uint8_t list_tags[3] = {0x0A, 0x12, 0x1A}; /* bytes, float, int64 list */
    uint8_t kind = kinds[f];
    if (b[p] != list_tags[kind]) return -1;
    p = read_length(b, p + 1, end, &stop);
    if (p < 0 || stop != end) return -1;
    if (p == end) return 0; /* an empty list: no value */
    if (b[p] != 0x0A) return -1; /* `value`, field 1, length-delimited (packed numbers) */
    p = read_length(b, p + 1, end, &stop);
    if (p < 0 || stop != end) return -1;
    int64_t at = filled[f];
    if (kind == KIND_BYTES) {
        ((int64_t *)values[f])[at] = p;
        byte_lens[f][at] = stop - p;
    } else if (kind == KIND_FLOAT) {
        if (stop - p != 4) return -1;
        memcpy((float *)values[f] + at, b + p, 4);
    } else {
        uint64_t v;
        if (read_varint(b, p, stop, &v) != stop) return -1;
        ((int64_t *)values[f])[at] = (int64_t)v;
    }
    filled[f] = at + 1;
    return 0;
}

/* Decode `n` serialized tf.Examples, record i at buf[starts[i]..starts[i]+lens[i]), into
 * columns of `count` features (names concatenated in `names`, name f at
 * names[name_at[f]..name_at[f+1]), found by `table` (see find_name; table_size a power of
 * two above `count`); kinds[f] 0 bytes, 1 float, 2 int64).
 *
 * offsets ((n+1) x count, row-major: one row per record, so a record writes one cache line
 * or two) receives each feature's list offsets: record i has offsets[i+1][f] - offsets[i][f]
 * values (0 or 1) of feature f. values[f] (n elements) receives the values, packed: int64 or
 * float32; for bytes the offset in `buf` of each value, whose length goes to byte_lens[f].
 * scratch has 2 x count elements.
 *
 * Returns -1 when every record was decoded, or the index of the first record that is not a
 * plain tf.Example of these features (the caller decodes the batch another way). */
int64_t tfxkit_decode_examples(const uint8_t *buf, const int64_t *starts, const int64_t *lens,
                               int64_t n, int64_t count, const uint8_t *names,
                               const int64_t *name_at, const int32_t *table, int64_t table_size,
                               const uint8_t *kinds, int64_t *offsets,
                               void **values, int64_t **byte_lens, int64_t *scratch) {
    int64_t *seen = scratch, *filled = scratch + count;
    for (int64_t f = 0; f < count; f++) {
        seen[f] = -1;
        filled[f] = 0;
        offsets[f] = 0;
    }
    for (int64_t row = 0; row < n; row++) {
        int64_t p = starts[row], end = starts[row] + lens[row], stop;
        if (p < end) {
            if (buf[p] != 0x0A) return row; /* features: field 1 */
            p = read_length(buf, p + 1, end, &stop);
            if (p < 0 || stop != end) return row; /* nothing but one `features` */
            while (p < end) {
                int64_t entry_end;
                if (buf[p] != 0x0A) return row; /* feature map entry: field 1 */
                p = read_length(buf, p + 1, end, &entry_end);
                if (p < 0) return row;
                if (decode_entry(buf, p, entry_end, row, table, (uint64_t)table_size - 1, names,
                                 name_at, kinds,
                                 filled, values, byte_lens, seen) != 0)
                    return row;
                p = entry_end;
            }
        }
        memcpy(offsets + (row + 1) * count, filled, (size_t)count * sizeof(int64_t));
    }
    return -1;
}

/* Copy `count` byte strings buf[at[i]..at[i]+lens[i]) back to back into out. */
void tfxkit_gather_bytes(const uint8_t *buf, const int64_t *at, const int64_t *lens,
                         int64_t count, uint8_t *out) {
    for (int64_t i = 0; i < count; i++) {
        memcpy(out, buf + at[i], (size_t)lens[i]);
        out += lens[i];
    }
}
