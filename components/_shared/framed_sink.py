"""`FramedTFRecordSink`: a Beam file sink writing pre-framed TFRecord blocks (from
`record_io.encode_and_frame`), gzip-compressing them itself.

It lives at module level, in a module that imports Beam, rather than inside the function that
builds it: Beam's pickler ships a class made inside a function by value, and a portable
runner's SDK worker that never imported the defining module then fails when it pickles the
transform again (dill's nested-class check looks the module up in `sys.modules`). A class here
is shipped by reference and imported on the worker. Imported only by Beam-running code.
"""

from __future__ import annotations

from typing import Any

from apache_beam.coders import BytesCoder
from apache_beam.io.filebasedsink import FileBasedSink
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems

from tfxkit.components._shared.tfrecord import GzipTFRecordWriter


class FramedTFRecordSink(FileBasedSink):
    """Writes byte blocks that are already TFRecord-framed to
    `{file_path_prefix}-SSSSS-of-NNNNN{file_name_suffix}`; gzipped at `compression_level` (by
    `GzipTFRecordWriter`) when the suffix ends in `.gz`, written as they are otherwise."""

    def __init__(self, file_path_prefix: str, file_name_suffix: str,
                 compression_level: int) -> None:
        super().__init__(file_path_prefix, coder=BytesCoder(), file_name_suffix=file_name_suffix,
                         mime_type="application/octet-stream",
                         compression_type=CompressionTypes.UNCOMPRESSED)
        self.gzip = file_name_suffix.endswith(".gz")
        self.compression_level = compression_level

    def open(self, temp_path: str) -> Any:
        """A writable handle on `temp_path`: a gzip TFRecord writer or the raw file."""
        handle = FileSystems.create(temp_path, self.mime_type, CompressionTypes.UNCOMPRESSED)
        return GzipTFRecordWriter(handle, self.compression_level) if self.gzip else handle

    def write_encoded_record(self, file_handle: Any, encoded_value: bytes) -> None:
        """Write one framed block unchanged (the blocks carry their own TFRecord framing)."""
        file_handle.write(encoded_value)
