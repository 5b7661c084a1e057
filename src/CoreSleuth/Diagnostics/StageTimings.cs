using System.Diagnostics;

namespace CoreSleuth.Diagnostics;

/// <summary>One stage of a run: its total wall-clock time, managed bytes allocated, and how many times it ran.</summary>
public sealed record StageTiming(string Stage, TimeSpan Elapsed, long AllocatedBytes, int Count);

/// <summary>
/// Wall-clock time and managed allocation of each stage of a run (open, modules, pthread_t,
/// unwinding…), for <c>--timings</c>. Stages measured many times (once per thread) accumulate.
/// Not thread-safe: stages are measured on one thread.
/// </summary>
public sealed class StageTimings
{
    private readonly List<string> order = [];
    private readonly Dictionary<string, (long Ticks, long Bytes, int Count)> stages = [];

    /// <summary>Stages in the order they were first measured.</summary>
    public IReadOnlyList<StageTiming> Stages =>
        [.. order.Select(s => new StageTiming(s, Stopwatch.GetElapsedTime(0, stages[s].Ticks), stages[s].Bytes, stages[s].Count))];

    internal void Add(string stage, long ticks, long bytes)
    {
        if (!stages.TryGetValue(stage, out var total)) order.Add(stage);
        stages[stage] = (total.Ticks + ticks, total.Bytes + bytes, total.Count + 1);
    }

    public readonly struct Measurement(StageTimings? owner, string stage, long started, long allocated) : IDisposable
    {
        public void Dispose() => owner?.Add(stage, Stopwatch.GetTimestamp() - started, GC.GetAllocatedBytesForCurrentThread() - allocated);
    }
}

public static class StageTimingsExtensions
{
    /// <summary>Starts measuring <paramref name="stage"/>; disposing the result stops it. Without timings (null) it measures nothing.</summary>
    public static StageTimings.Measurement Measure(this StageTimings? timings, string stage) =>
        timings is null ? default : new(timings, stage, Stopwatch.GetTimestamp(), GC.GetAllocatedBytesForCurrentThread());
}
