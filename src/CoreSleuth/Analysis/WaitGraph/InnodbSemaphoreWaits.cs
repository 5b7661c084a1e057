using System.Globalization;
using CoreSleuth.Analysis.Diagnosis;
using CoreSleuth.Analysis.Libthr;
using CoreSleuth.Analysis.MySql;
using CoreSleuth.Model;

namespace CoreSleuth.Analysis.WaitGraph;

/// <summary>InnoDB latch waits longer than InnoDB itself calls long, with the threads that wait and the one that holds the latch.</summary>
/// <param name="Resource">The latch in words.</param>
/// <param name="Holder">The holder's LWP; null when InnoDB names none or its handle is no thread of the core.</param>
/// <param name="Waiters">The waiting threads' LWPs (those whose handle is a thread of the core).</param>
/// <param name="LongestSeconds">The longest wait InnoDB printed.</param>
public sealed record LongSemaphoreWait(string Resource, int? Holder, ulong? HolderHandle, IReadOnlyList<int> Waiters, double LongestSeconds,
    Confidence Confidence, IReadOnlyList<string> Evidence, IReadOnlyList<string> Advice)
{
    public const string Kind = "long-semaphore-wait";
}

/// <summary>
/// Edges and findings from the SEMAPHORES section of SHOW ENGINE INNODB STATUS (or the error
/// log's long-semaphore-wait dump): InnoDB names waiter and writer by OS thread handle, which is
/// the thread's pthread_t (spec §10), so both are joined to LWPs through the core.
/// </summary>
public static class InnodbSemaphoreWaits
{
    /// <summary>InnoDB warns of a "long semaphore wait" past 240 s (storage/innobase/sync/sync0arr.cc: SYNC_ARRAY_TIMEOUT).</summary>
    public const double LongWaitSeconds = 240;

    /// <summary>…and aborts the server when one passes innodb_fatal_semaphore_wait_threshold, 600 s by default (srv0srv.cc: srv_fatal_semaphore_wait_threshold).</summary>
    public const double FatalWaitSeconds = 600;

    public static IReadOnlyList<WaitEdge> Edges(IReadOnlyList<SemaphoreWait> waits, ThreadIdentity identity)
    {
        var edges = new List<WaitEdge>();
        foreach (var w in waits.Where(w => !w.WaitHasEnded))
        {
            if (Lwp(identity, w.WaiterHandle) is not { } waiter) continue;
            int? holder = w.HolderHandle is { } h ? Lwp(identity, h) : null;
            var evidence = new List<string>
            {
                $"SHOW ENGINE INNODB STATUS (line {w.LineNumber}): --Thread {w.WaiterHandle} has waited at {w.WaitedAtFile} line {w.WaitedAtLine} for {w.Seconds.ToString("0.##", CultureInfo.InvariantCulture)} seconds the semaphore: {Resource(w)}",
                $"handle {w.WaiterHandle} (0x{w.WaiterHandle:x}) is LWP {waiter}'s pthread_t: the struct pthread in the core whose tid is {waiter} (lib/libthr/thread/thr_private.h: struct pthread)",
            };
            if (w.HolderHandle is { } hh)
                evidence.Add(holder is { } hl
                    ? $"{(w.Kind == "mutex" ? "locked by" : $"a writer (thread id {hh}) has reserved it in mode {w.HolderMode ?? "exclusive"}")}: {hh} (0x{hh:x}) is LWP {hl}'s pthread_t"
                    : $"InnoDB names the holder {hh} (0x{hh:x}), which is no thread of the core");
            else evidence.Add(w.Readers is > 0 ? $"{w.Readers} readers hold it, and InnoDB does not say which threads they are" : "InnoDB does not name the holder");
            if (w.LastWriteLockedFile is not null) evidence.Add($"last time write locked in file {w.LastWriteLockedFile} line {w.LastWriteLockedLine}");
            edges.Add(new WaitEdge(waiter, holder, "innodb-semaphore", Resource(w), holder is null ? Confidence.Likely : Confidence.Certain, evidence) { Seconds = w.Seconds });
        }
        return edges;
    }

    public static IReadOnlyList<LongSemaphoreWait> Findings(IReadOnlyList<SemaphoreWait> waits, IReadOnlyList<WaitEdge> edges, ThreadIdentity identity,
        Func<int, ThreadAnalysis?> thread, CoreProducer producer)
    {
        var found = new List<LongSemaphoreWait>();
        foreach (var latch in waits.Where(w => !w.WaitHasEnded).GroupBy(Resource))
        {
            double longest = latch.Max(w => w.Seconds);
            if (longest < LongWaitSeconds) continue;
            var mine = edges.Where(e => e.Kind == "innodb-semaphore" && e.Resource == latch.Key).ToList();
            ulong? holderHandle = latch.Select(w => w.HolderHandle).FirstOrDefault(h => h is not null);
            int? holder = holderHandle is { } hh ? Lwp(identity, hh) : null;
            var evidence = new List<string>
            {
                $"{Plural.Of(latch.Count(), "thread")} {(latch.Count() == 1 ? "waits" : "wait")} for {latch.Key}, the longest for {Durations.Text(longest)}: InnoDB calls a wait past {LongWaitSeconds} s long (storage/innobase/sync/sync0arr.cc: sync_array_print_long_waits)",
            };
            int unresolved = latch.Count() - mine.Count;
            if (unresolved > 0) evidence.Add($"the handle of {Plural.Of(unresolved, "waiter")} is no thread of the core");
            var holderThread = holder is { } hl ? thread(hl) : null;
            if (holder is { } h)
                evidence.Add($"the holder is LWP {h}{(holderThread?.Session is { } s ? $" (MySQL thread id {s.ThreadId})" : "")}, which is {holderThread?.Description?.Sentence ?? "not described"}" +
                             (holderThread?.Sleep is { SinceStop: false } sleep ? $", asleep for {Durations.Text(sleep.Seconds)} (ki_slptime)" : ""));
            else if (holderHandle is { } unknownHolder) evidence.Add($"InnoDB names the holder {unknownHolder} (0x{unknownHolder:x}), which is no thread of the core");
            else evidence.Add("InnoDB does not name the holder (a mutex before 8.0, or readers of an rw-lock)");

            var advice = new List<string>();
            if (longest >= FatalWaitSeconds)
                advice.Add($"A wait past {FatalWaitSeconds} s (innodb_fatal_semaphore_wait_threshold) makes InnoDB abort the server on purpose{(producer == CoreProducer.Kernel ? ": this core is most likely that abort (look for srv_error_monitor_thread in the thread that took SIGABRT)" : "")}.");
            if (holderThread?.Description?.Category == Activity.ThreadCategory.WaitingForIo)
                advice.Add("The holder is waiting for the disk while it holds the latch: check the storage (gstat -p, camcontrol/zpool status, dmesg for I/O errors and timeouts) before restarting.");
            else if (holder is not null)
                advice.Add("Look at what the holder does (its stack below): the waiters go on only once it releases the latch.");
            advice.Add("Give the vendor the SEMAPHORES section and the holder's and waiters' stacks; search its bug tracker for the file and line the waiters wait at.");
            found.Add(new LongSemaphoreWait(latch.Key, holder, holderHandle, mine.Select(e => e.Waiter).Distinct().ToList(), longest,
                holder is not null ? Confidence.Certain : Confidence.Likely, evidence, advice));
        }
        return found.OrderByDescending(f => f.LongestSeconds).ToList();
    }

    /// <summary>The latch in words: "InnoDB rw-lock x at 0x… created in dict0dict.cc line 1184".</summary>
    private static string Resource(SemaphoreWait w)
    {
        string what = w.Kind switch
        {
            "mutex" => w.MutexName is { } n ? $"InnoDB mutex {n}" : "InnoDB mutex",
            "rw-lock x" => "InnoDB rw-lock (X-lock)",
            "rw-lock s" => "InnoDB rw-lock (S-lock)",
            "rw-lock sx" => "InnoDB rw-lock (SX-lock)",
            "rw-lock x wait" => "InnoDB rw-lock (X-lock, wait_ex)",
            _ => "InnoDB latch",
        };
        string at = w.Address is { } a ? $" at 0x{a:x}" : "";
        string created = w.CreatedFile is null ? "" : $" created in {w.CreatedFile} line {w.CreatedLine}";
        return what + at + created;
    }

    private static int? Lwp(ThreadIdentity identity, ulong handle) =>
        identity.ResolveHandle(handle) is { Status: HandleStatus.Live, Lwp: { } lwp } ? lwp : null;

}
