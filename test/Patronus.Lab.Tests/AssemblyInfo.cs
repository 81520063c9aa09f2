// The lab measures detection times in milliseconds on a 2-core machine: one lab at a time, so a
// neighbour's probes, dotnet start-ups and curl storms do not skew the numbers.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
