using System.Globalization;
using CoreSleuth.Diagnostics;

namespace CoreSleuth.Cli;

/// <summary>
/// How far a long step has come, as one line on standard error redrawn in place
/// ("coresleuth: decompressing zstd 42% (1,203 of 2,864 MiB)"): only when standard error is a
/// terminal (never in a CI log or a pipe, never on standard output), only once the command has run
/// for <see cref="Delay"/>, at most once per <see cref="Interval"/>, and erased before anything
/// else is written there (<see cref="Clear"/>). Reports may come from several threads.
/// </summary>
internal sealed class ProgressLine : IProgress<WorkProgress>
{
    /// <summary>Work shorter than this shows nothing.</summary>
    public static readonly TimeSpan Delay = TimeSpan.FromSeconds(1);

    /// <summary>At most ten redraws a second: a terminal that redraws more only flickers.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);

    /// <summary>Tests: the delay and interval to use instead (zero draws every report).</summary>
    internal static readonly AsyncLocal<TimeSpan?> TimingForTests = new();

    private readonly TextWriter terminal;
    private readonly TimeProvider time;
    private readonly TimeSpan delay, interval;
    private readonly long started;
    private readonly Lock gate = new();
    private long lastDrawn;
    private int shown;
    private bool cleared;

    private ProgressLine(TextWriter terminal, TimeProvider time)
    {
        this.terminal = terminal;
        this.time = time;
        delay = TimingForTests.Value ?? Delay;
        interval = TimingForTests.Value ?? Interval;
        started = time.GetTimestamp();
    }

    /// <summary>A progress line on <paramref name="stderr"/> when it is a terminal; null (no reports asked for) when it is not.</summary>
    public static ProgressLine? For(TextWriter stderr, bool stderrIsTerminal, TimeProvider? time = null) =>
        stderrIsTerminal ? new ProgressLine(stderr, time ?? TimeProvider.System) : null;

    public void Report(WorkProgress value)
    {
        lock (gate)
        {
            if (cleared) return;
            long now = time.GetTimestamp();
            if (time.GetElapsedTime(started, now) < delay) return;
            if (shown > 0 && time.GetElapsedTime(lastDrawn, now) < interval) return;
            string text = Text(value);
            // Spaces over what is left of a longer line before; \r back to its start.
            terminal.Write('\r' + text.PadRight(shown));
            terminal.Flush();
            shown = text.Length;
            lastDrawn = now;
        }
    }

    /// <summary>Erases the line if it was drawn; reports after this show nothing (a search still running on another thread).</summary>
    public void Clear()
    {
        lock (gate)
        {
            if (cleared) return;
            cleared = true;
            if (shown == 0) return;
            terminal.Write('\r' + new string(' ', shown) + '\r');
            terminal.Flush();
        }
    }

    /// <summary>"coresleuth: STEP 42% (1,203 of 2,864 MiB)", in the unit of the total: KiB below 1 MiB, MiB below 10 GiB, else GiB.</summary>
    internal static string Text(WorkProgress p)
    {
        int percent = (int)Math.Floor(p.Fraction * 100);
        var (shift, unit) = p.Total < 1L << 20 ? (10, "KiB") : p.Total < 10L << 30 ? (20, "MiB") : (30, "GiB");
        return string.Create(CultureInfo.InvariantCulture, $"coresleuth: {p.Step} {percent}% ({p.Done >> shift:N0} of {p.Total >> shift:N0} {unit})");
    }
}
