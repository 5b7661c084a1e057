using System.Diagnostics;

namespace CoreSleuth.Diagnostics;

/// <summary>One stage of a run: its total wall-clock time, managed bytes allocated, and how many times it ran.</summary>
/// <param name="Concurrent">It ran on another thread alongside the other stages: its time is not part of their sum.</param>
public sealed record StageTiming(string Stage, TimeSpan Elapsed, long AllocatedBytes, int Count, bool Concurrent = false);

/// <summary>
/// Wall-clock time and managed allocation of each stage of a run (open, modules, pthread_t,
/// unwinding…), for <c>--timings</c>. Stages measured many times (once per thread) accumulate.
/// Not thread-safe: work on another thread measures into its own instance and <see cref="AddConcurrent"/>s it afterwards.
/// </summary>
public sealed class StageTimings
{
    private readonly List<string> order = [];
    private readonly Dictionary<string, (long Ticks, long Bytes, int Count)> stages = [];
    private readonly HashSet<string> concurrent = [];

    /// <summary>Stages in the order they were first measured.</summary>
    public IReadOnlyList<StageTiming> Stages =>
        [.. order.Select(s => new StageTiming(s, Stopwatch.GetElapsedTime(0, stages[s].Ticks), stages[s].Bytes, stages[s].Count, concurrent.Contains(s)))];

    internal void Add(string stage, long ticks, long bytes, int count = 1)
    {
        if (!stages.TryGetValue(stage, out var total)) order.Add(stage);
        stages[stage] = (total.Ticks + ticks, total.Bytes + bytes, total.Count + count);
    }

    /// <summary>Adds the stages <paramref name="other"/> measured on another thread, alongside this one's.</summary>
    public void AddConcurrent(StageTimings other)
    {
        foreach (string stage in other.order)
        {
            concurrent.Add(stage);
            var (ticks, bytes, count) = other.stages[stage];
            Add(stage, ticks, bytes, count);
        }
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
