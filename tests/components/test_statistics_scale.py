"""StatisticsGen at scale: streamed record batches, bounded read-ahead, damaged files, and the
same statistics as the Beam path.

"Same statistics" (`assert_same_statistics`) means: the DatasetFeatureStatisticsList protos are
equal field for field (features and their order, types, counts, missing, value counts, min, max,
zeros, top values and unique counts, quantiles and histograms), except `mean` and `std_dev`,
which are equal to a relative 1e-12. TFDV sums a batch's values with numpy and adds the batch
sums up, so a different cut into batches (Beam's `BatchElements` sizes vs the in-process
65,536-row batches) changes the last bits of a mean; everything else is counted or taken from
the values themselves. Quantiles and histograms come from tfx-bsl's quantiles sketch, exact while
a split's values fit it (every sample here does); past that (millions of rows) both paths hold
the same approximate sketch fed in different batches, so quantile boundaries may differ within
the sketch's error bound, not more. Measured on the 1M-row taxi bench data (670k/335k rows):
counts, missing, value counts, min, max, top values and uniques equal; mean and std_dev within
8e-15 relative; eval's quantiles and histograms equal; train's median within 8e-6 relative,
histogram boundaries within 1e-4 of the value range and bucket counts within 2.5e-4 of the rows.
"""

from __future__ import annotations

import gzip
import json
import math
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.components.data_helpers import (
    TAXI_CSV,
    input_dir,
    run_csv_example_gen,
    run_statistics_gen,
)
from tfxkit.errors import DataError
from tfxkit.types.standard_artifacts import Examples

pytestmark = pytest.mark.integration

MEAN_STD_TOLERANCE = 1e-12


def assert_same_statistics(found: Any, expected: Any) -> None:
    """`found` equals `expected` (DatasetFeatureStatisticsList) as the module docstring says:
    exactly, but for mean and std_dev, equal to a relative 1e-12."""
    found, expected = type(found).FromString(found.SerializeToString()), \
        type(expected).FromString(expected.SerializeToString())
    for got_set, want_set in zip(found.datasets, expected.datasets, strict=True):
        assert [f.path.step for f in got_set.features] == \
            [f.path.step for f in want_set.features]
        for got, want in zip(got_set.features, want_set.features, strict=True):
            if got.HasField("num_stats") and want.HasField("num_stats"):
                for field in ("mean", "std_dev"):
                    a, b = getattr(got.num_stats, field), getattr(want.num_stats, field)
                    assert a == pytest.approx(b, rel=MEAN_STD_TOLERANCE, nan_ok=True) or \
                        (math.isnan(a) and math.isnan(b)), (got.path, field, a, b)
                    got.num_stats.ClearField(field)
                    want.num_stats.ClearField(field)
    assert found.SerializeToString(deterministic=True) == \
        expected.SerializeToString(deterministic=True)


def _load(uri: str, split: str) -> Any:
    import tensorflow_data_validation as tfdv

    return tfdv.load_stats_binary(f"{uri}/Split-{split}/FeatureStats.pb")


def _taxi_sample(rows: int) -> str:
    """The first `rows` rows of the taxi sample with four more columns that exercise TFDV's
    numeric paths: NaN and +-inf among floats, a column missing in most rows, and an integer
    column with one value (so one split has none)."""
    lines = TAXI_CSV.read_text().splitlines()[: rows + 1]
    out = [lines[0] + ",with_nan,with_inf,mostly_missing,one_value"]
    for i, line in enumerate(lines[1:]):
        nan = "nan" if i % 7 == 0 else f"{i % 13}.5"
        inf = "inf" if i % 11 == 0 else ("-inf" if i % 17 == 0 else str(i))
        out.append(f"{line},{nan},{inf},{i if i % 50 == 0 else ''},{7 if i == 0 else ''}")
    return "\n".join(out) + "\n"


@pytest.fixture(scope="module")
def taxi_examples(tmp_path_factory: pytest.TempPathFactory) -> Examples:
    """3,000 taxi rows (+3 columns) through CsvExampleGen (train/eval 2:1)."""
    tmp = tmp_path_factory.mktemp("taxi")
    return run_csv_example_gen(input_dir(tmp, ("taxi.csv", _taxi_sample(3000))),
                               tmp / "examples")


def test_in_process_equals_beam_path(taxi_examples: Examples, tmp_path: Path) -> None:
    """The in-process path (tf.io.parse_example, streamed) and the Beam path
    (`tfdv.GenerateStatistics` on Beam's DirectRunner) give the same statistics for every split,
    including a feature with no value in a whole split (`one_value` keeps the INT type
    ExampleGen recorded there, on both paths)."""
    from tfxkit.components.statistics_gen.executor import Executor
    from tfxkit.dsl.base_executor import ExecutorContext
    from tfxkit.types.standard_artifacts import ExampleStatistics

    fast = run_statistics_gen(taxi_examples, tmp_path / "fast")
    beam = ExampleStatistics(uri=str(tmp_path / "beam"))
    Executor(ExecutorContext(beam_pipeline_args=["--tfxkit_use_beam"])).Do(
        {"examples": [taxi_examples]}, {"statistics": [beam]}, {})
    for split in ("train", "eval"):
        assert_same_statistics(_load(fast.uri, split), _load(beam.uri, split))
    assert json.loads(taxi_examples.get_custom_property("feature_types"))["one_value"] == "int"
    empty = [f for split in ("train", "eval") for f in _load(fast.uri, split).datasets[0].features
             if f.path.step == ["one_value"] and f.num_stats.common_stats.num_non_missing == 0]
    assert len(empty) == 1 and empty[0].HasField("num_stats")  # INT, not TFX's STRING
    features = {f.path.step[0]: f for f in _load(fast.uri, "eval").datasets[0].features}
    with_nan = features["with_nan"].num_stats
    assert with_nan.histograms[0].num_nan > 0 and with_nan.common_stats.num_non_missing > 0
    assert features["with_inf"].num_stats.max == math.inf


def test_streamed_small_batches_equal_one_batch(taxi_examples: Examples) -> None:
    """Statistics over many small streamed batches equal TFDV's own in-memory statistics of
    all the rows as one record batch (`stats_impl.generate_statistics_in_memory`)."""
    import glob

    import pyarrow as pa
    from tensorflow_data_validation.statistics import stats_impl

    from tfxkit.components.statistics_gen.executor import (
        make_stats_options,
        parsed_record_batches,
        statistics_in_process,
    )

    files = sorted(glob.glob(f"{taxi_examples.uri}/Split-train/*"))
    types = json.loads(taxi_examples.get_custom_property("feature_types"))
    batches = list(parsed_record_batches(files, types, batch_size=128))
    assert len(batches) > 10
    options = make_stats_options({}, None)
    streamed = statistics_in_process(iter(batches), options)
    whole = pa.Table.from_batches(batches).combine_chunks().to_batches()[0]
    assert_same_statistics(streamed, stats_impl.generate_statistics_in_memory(whole, options))


def test_whole_file_inflation_gives_identical_statistics(taxi_examples: Examples,
                                                         tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """StatisticsGen's output is the same bytes whether its files are inflated whole (libdeflate,
    when the system has it) or streamed through zlib (`WHOLE_FILE_BYTES = 0`): the same records
    make the same batches."""
    from tfxkit.components.statistics_gen import executor

    whole = run_statistics_gen(taxi_examples, tmp_path / "whole")
    monkeypatch.setattr(executor, "WHOLE_FILE_BYTES", 0)
    streamed = run_statistics_gen(taxi_examples, tmp_path / "streamed")
    for split in ("train", "eval"):
        assert (Path(whole.uri) / f"Split-{split}" / "FeatureStats.pb").read_bytes() == \
            (Path(streamed.uri) / f"Split-{split}" / "FeatureStats.pb").read_bytes()


def test_prefetched_reads_a_bounded_way_ahead() -> None:
    """The background reader stays at most `depth` batches ahead of the consumer, so memory
    holds a few batches whatever the split's size; TFDV consumes them one at a time."""
    import pyarrow as pa

    from tfxkit.components.statistics_gen.executor import (
        make_stats_options,
        prefetched,
        statistics_in_process,
    )

    produced, consumed, ahead = [0], [0], []

    def source() -> Iterator[pa.RecordBatch]:
        for i in range(40):
            ahead.append(produced[0] - consumed[0])
            produced[0] += 1
            yield pa.RecordBatch.from_arrays(
                [pa.array([[i]] * 10, type=pa.large_list(pa.int64()))], ["x"])

    def counted(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            consumed[0] += 1
            yield batch

    result = statistics_in_process(counted(prefetched(source(), depth=2)),
                                   make_stats_options({}, None))
    assert result.datasets[0].num_examples == 400
    assert max(ahead) <= 4  # the queue's 2, one being put, one just taken


def test_prefetched_raises_and_stops() -> None:
    """An error while reading reaches the consumer; a consumer that stops early stops the
    reader thread (no thread left behind)."""
    from tfxkit.components.statistics_gen.executor import prefetched

    def failing() -> Iterator[int]:
        yield 1
        raise DataError("damaged")

    with pytest.raises(DataError, match="damaged"):
        list(prefetched(failing()))

    def endless() -> Iterator[int]:
        i = 0
        while True:
            yield i
            i += 1

    before = threading.active_count()
    items = prefetched(endless(), depth=1)
    assert next(items) == 0
    items.close()  # type: ignore[attr-defined]
    assert threading.active_count() == before
    # Two stages (reading, then parsing, as parsed_record_batches runs them): closing the last
    # one stops both threads.
    staged = prefetched(map(str, prefetched(endless(), depth=1)))
    assert [next(staged) for _ in range(3)] == ["0", "1", "2"]
    staged.close()  # type: ignore[attr-defined]
    assert threading.active_count() == before


def _damaged_copy(examples: Examples, root: Path, how: str) -> Examples:
    """A copy of `examples` whose train split is damaged: `plain` = uncompressed TFRecords
    with one payload byte changed (the record checksum catches it); `gzip` = gzipped with
    compressed bytes changed (gzip's CRC catches it); `not_examples` = whole gzipped TFRecords
    whose records are no tf.Examples (the parser catches it), `..._untyped` the same without
    the recorded feature types (tfx-bsl's decoder catches it)."""
    import glob

    copy = Examples(uri=str(root))
    copy.split_names = ["train"]
    if how != "not_examples_untyped":
        copy.set_custom_property("feature_types",
                                 examples.get_custom_property("feature_types"))
    (root / "Split-train").mkdir(parents=True)
    source = sorted(glob.glob(f"{examples.uri}/Split-train/*"))[0]
    raw = gzip.decompress(Path(source).read_bytes())
    if how.startswith("not_examples"):
        from tfxkit.components._shared import tfrecord

        records = [b"\x0a\x05not a tf.Example %d" % i for i in range(100)]
        framed = tfrecord.frame_bytes(b"".join(records), [len(r) for r in records]).tobytes()
        (root / "Split-train" / "data_tfrecord-00000-of-00001.gz").write_bytes(
            gzip.compress(framed))
    elif how == "plain":
        data = bytearray(raw)
        data[len(data) // 2] ^= 0x55
        (root / "Split-train" / "data_tfrecord-00000-of-00001").write_bytes(bytes(data))
    else:
        data = bytearray(gzip.compress(raw))
        for at in range(len(data) // 2, len(data) // 2 + 64):
            data[at] ^= 0x55
        (root / "Split-train" / "data_tfrecord-00000-of-00001.gz").write_bytes(bytes(data))
    return copy


@pytest.mark.parametrize("how", ["plain", "gzip", "not_examples", "not_examples_untyped"])
def test_damaged_records_are_refused(taxi_examples: Examples, tmp_path: Path,
                                     how: str) -> None:
    """A damaged Examples file fails StatisticsGen with DamagedRecordsError naming the file,
    whatever catches it (record checksum, gzip's CRC, TensorFlow's parser, tfx-bsl's decoder);
    no statistics are written."""
    from tfxkit.components._shared.tfrecord import DamagedRecordsError

    damaged = _damaged_copy(taxi_examples, tmp_path / "examples", how)
    with pytest.raises(DamagedRecordsError, match="data_tfrecord-00000-of-00001"):
        run_statistics_gen(damaged, tmp_path / "stats")
    assert not (tmp_path / "stats" / "Split-train" / "FeatureStats.pb").exists()
