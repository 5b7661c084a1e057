using System.Globalization;
using System.Text.RegularExpressions;

namespace CoreSleuth.Analysis.Diagnosis;

/// <summary>The wait channels of a Linux process's threads, as read on the live host.</summary>
/// <param name="ByLwp">Each thread's wchan (the kernel function it sleeps in; "0" when running).</param>
/// <param name="Pids">The process ids the lines name.</param>
/// <param name="UnreadLines">Line numbers (from 1) that are not <c>/proc/PID/task/TID/wchan:NAME</c>.</param>
public sealed record WaitChannelText(IReadOnlyDictionary<int, string> ByLwp, IReadOnlyList<int> Pids, IReadOnlyList<int> UnreadLines);

/// <summary>
/// Reads <c>grep -H . /proc/PID/task/*/wchan</c> output: one <c>/proc/PID/task/TID/wchan:NAME</c>
/// line per thread. A Linux core records no wait channel, so this is how the DBA adds it.
/// </summary>
public static partial class WaitChannels
{
    // A kernel symbol name: letters, digits, '_' and '.' (e.g. "do_epoll_wait", "ep_poll.isra.0").
    [GeneratedRegex(@"^\s*/proc/(?<pid>[0-9]{1,9})/task/(?<tid>[0-9]{1,9})/wchan:(?<name>[A-Za-z0-9_.]{1,128})\s*$")]
    private static partial Regex Line();

    public static WaitChannelText Parse(string text)
    {
        var byLwp = new Dictionary<int, string>();
        var pids = new List<int>();
        var unread = new List<int>();
        var lines = text.Replace("\r\n", "\n").Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            if (lines[i].Trim().Length == 0) continue;
            var m = Line().Match(lines[i]);
            if (!m.Success) { unread.Add(i + 1); continue; }
            int pid = int.Parse(m.Groups["pid"].Value, CultureInfo.InvariantCulture), tid = int.Parse(m.Groups["tid"].Value, CultureInfo.InvariantCulture);
            if (!pids.Contains(pid)) pids.Add(pid);
            byLwp[tid] = m.Groups["name"].Value;
        }
        return new WaitChannelText(byLwp, pids, unread);
    }

    /// <summary>The kernel functions a FIFO open sleeps in until the other end is opened (fs/pipe.c).</summary>
    public static bool IsFifoOpen(string wchan) => wchan is "wait_for_partner" or "fifo_open";

    /// <summary>What a wait channel means, for the few a hung server's threads sleep in; null for others.</summary>
    public static string? Meaning(string wchan) => (wchan.IndexOf('.') is int dot and > 0 ? wchan[..dot] : wchan) switch // "poll_schedule_timeout.constprop.0": a compiler's clone
    {
        "wait_for_partner" or "fifo_open" => "opening a FIFO: waits until another process opens its other end (fs/pipe.c)",
        "futex_do_wait" or "futex_wait_queue" or "futex_wait_queue_me" or "futex_wait" => "waits on a futex: a pthread mutex, condition variable or rwlock (kernel/futex)",
        "do_epoll_wait" or "ep_poll" => "waits for events in epoll_wait",
        "do_sys_poll" or "do_select" or "poll_schedule_timeout" => "waits in poll or select",
        "pipe_read" or "pipe_write" => "waits on a pipe",
        "do_nanosleep" or "hrtimer_nanosleep" => "sleeps for a time (nanosleep)",
        "io_schedule" => "waits for disk I/O",
        "do_sigtimedwait" or "sigsuspend" => "waits for a signal",
        "io_cqring_wait" => "waits for io_uring completions",
        "read_events" => "waits for AIO completions (io_getevents)",
        "0" => "not asleep (running or runnable)",
        _ => null,
    };
}
