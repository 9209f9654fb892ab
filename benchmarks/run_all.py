"""Run every benchmark in one process and print their tables (see benchmarks/README.md)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench_classifier  # noqa: E402
import bench_depth  # noqa: E402
import bench_gradcheck  # noqa: E402
import bench_memory  # noqa: E402
import bench_overhead  # noqa: E402
import bench_training  # noqa: E402

if __name__ == "__main__":
    bench_overhead.main()
    bench_classifier.main()
    bench_training.main([])
    bench_memory.main([])
    bench_depth.main()
    bench_gradcheck.main([])
