print("lowbit-bench: kernel benchmarks (in progress)")
