using System.Diagnostics;

namespace CoreSleuth.Diagnostics;

/// <summary>
/// Wall-clock time spent in each stage of a run (open, modules, pthread_t, unwinding…), for
/// <c>--timings</c>. Stages measured many times (once per thread) accumulate. Not thread-safe.
/// </summary>
public sealed class StageTimings
{
    private readonly List<string> order = [];
    private readonly Dictionary<string, (long Ticks, int Count)> stages = [];

    /// <summary>Stages in the order they were first measured, with their total time and how many times each ran.</summary>
    public IReadOnlyList<(string Stage, TimeSpan Elapsed, int Count)> Stages =>
        [.. order.Select(s => (s, Stopwatch.GetElapsedTime(0, stages[s].Ticks), stages[s].Count))];

    internal void Add(string stage, long ticks)
    {
        if (!stages.TryGetValue(stage, out var total)) order.Add(stage);
        stages[stage] = (total.Ticks + ticks, total.Count + 1);
    }

    public readonly struct Measurement(StageTimings? owner, string stage, long started) : IDisposable
    {
        public void Dispose() => owner?.Add(stage, Stopwatch.GetTimestamp() - started);
    }
}

public static class StageTimingsExtensions
{
    /// <summary>Starts measuring <paramref name="stage"/>; disposing the result stops it. Without timings (null) it measures nothing.</summary>
    public static StageTimings.Measurement Measure(this StageTimings? timings, string stage) =>
        timings is null ? default : new(timings, stage, Stopwatch.GetTimestamp());
}
