"""The benchmark of issue 8: synthetic data at several sizes, AppTest script times, bytes on the wire and memory."""
