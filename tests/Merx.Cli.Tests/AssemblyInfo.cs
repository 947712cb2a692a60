// The CLI tests capture Console.Out/Error, which are process-wide: test classes must not run at the same time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
