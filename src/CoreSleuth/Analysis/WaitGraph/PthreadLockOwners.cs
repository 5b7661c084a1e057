using CoreSleuth.Analysis.Diagnosis;
using CoreSleuth.Analysis.Syscalls;
using CoreSleuth.Memory;

namespace CoreSleuth.Analysis.WaitGraph;

/// <summary>
/// Who holds the libthr lock a thread sleeps on, from the lock word in the core's memory
/// (sys/sys/umtx.h, sys/sys/_umtx.h; lib/libthr/thread/thr_umtx.c, thr_private.h).
/// </summary>
public static class PthreadLockOwners
{
    // sys/sys/umtx.h: the operations a blocked locker sleeps in.
    public const int UmtxOpMutexLock = 5, UmtxOpRwRdLock = 12, UmtxOpRwWrLock = 13, UmtxOpMutexWait = 17;

    // sys/sys/umtx.h: m_owner is the owner's thread id, with this bit set once another thread waits.
    public const uint UmutexContested = 0x80000000;

    // sys/sys/umtx.h (FreeBSD 11+ robust mutexes): owner died, not recoverable.
    public const uint UmutexOwnerDead = UmutexContested | 0x10, UmutexNotRecoverable = UmutexContested | 0x11;

    // sys/sys/umtx.h: rw_state's write-owner bit and reader count.
    public const uint UrwlockWriteOwner = 0x80000000, UrwlockMaxReaders = 0x1fffffff;

    /// <summary>struct pthread_rwlock { struct urwlock lock; owner; }: the owner follows the 32-byte urwlock (thr_private.h).</summary>
    public const int RwlockOwnerOffset = 32;

    /// <summary>
    /// FreeBSD 13.x/14.x struct pthread: <c>struct mutex_queue mq[TMQ_NITEMS]</c> (6 TAILQ heads of 16 bytes) at
    /// offset 424; a held mutex is linked through its <c>m_qe</c> (offset 56) in the even queues, its
    /// <c>m_pqe</c> (72) in the odd, "private" ones (lib/libthr/thread/thr_private.h; thr_mutex.c: enqueue_mutex).
    /// </summary>
    public const int MutexQueuesOffset = 424, MutexQueueCount = 6, MutexQueueEntry = 56, MutexPrivateQueueEntry = 72;

    /// <summary>At most this many mutexes are followed in one queue: a corrupt list must not loop.</summary>
    public const int MaxHeldMutexes = 256;

    /// <summary>Whether the layout of <see cref="MutexQueuesOffset"/> is known for this release (13.0 to 14.x).</summary>
    public static bool KnowsHeldMutexes(int? osreldate) => osreldate is >= 1300000 and < 1500000;

    /// <summary>The mutexes a thread's struct pthread lists as held (its mq queues); empty when unreadable.</summary>
    public static IReadOnlySet<ulong> HeldMutexes(ulong pthread, AddressSpace memory)
    {
        var held = new HashSet<ulong>();
        for (int q = 0; q < MutexQueueCount; q++)
        {
            ulong head = pthread + MutexQueuesOffset + (ulong)(16 * q);
            if (!memory.TryReadPointer(head, out ulong m)) return held;
            int link = q % 2 == 0 ? MutexQueueEntry : MutexPrivateQueueEntry;
            for (int n = 0; m != 0 && n < MaxHeldMutexes && held.Add(m); n++)
                if (!memory.TryReadPointer(m + (ulong)link, out m)) break;
        }
        return held;
    }

    /// <summary>The edge of a thread blocked locking a pthread mutex or rwlock; null when it is in no such call.</summary>
    /// <param name="lwpOfPthread">The LWP whose struct pthread is at an address (10.x rwlocks record the owner's pthread_t).</param>
    /// <param name="holds">Whether a thread's struct pthread lists a mutex as held; null when the release's layout is unknown.</param>
    public static WaitEdge? Of(ThreadAnalysis t, AddressSpace memory, IReadOnlySet<int> lwps, Func<ulong, int?> lwpOfPthread, Func<int, ulong, bool?>? holds = null)
    {
        if (t.Site is not { } site || !site.Abi.IsUmtxOp(site.Number) || site.Arguments.Count < 2) return null;
        if (site.Position is SyscallPosition.NotInSyscall or SyscallPosition.ReturnedError) return null;
        ulong obj = site.Arguments[0];
        int op = (int)site.Arguments[1];
        string? wmesg = t.Thread.WaitMessage;
        // Asleep on the lock (its wait message) or about to restart the call after the producer aborted the sleep.
        var confidence = site.Position == SyscallPosition.InKernel && wmesg is "umtxn" or "umtxpi" or "urdlck" or "uwrlck" ? Confidence.Certain : Confidence.Likely;
        string how = wmesg is null ? $"it is about to restart _umtx_op(0x{obj:x}, {op}) (the producer aborted its sleep)" : $"it sleeps in _umtx_op(0x{obj:x}, {op}) with wait message \"{wmesg}\"";
        return op switch
        {
            UmtxOpMutexWait or UmtxOpMutexLock => Mutex(t, obj, op, memory, lwps, confidence, how, holds),
            UmtxOpRwRdLock or UmtxOpRwWrLock => Rwlock(t, obj, op, memory, lwps, lwpOfPthread, confidence, how),
            _ => null,
        };
    }

    private static WaitEdge Mutex(ThreadAnalysis t, ulong mutex, int op, AddressSpace memory, IReadOnlySet<int> lwps, Confidence confidence, string how, Func<int, ulong, bool?>? holds)
    {
        string resource = $"pthread mutex at 0x{mutex:x}";
        string opName = op == UmtxOpMutexWait ? "UMTX_OP_MUTEX_WAIT" : "UMTX_OP_MUTEX_LOCK";
        var evidence = new List<string> { $"LWP {t.Thread.Lwp} waits to lock the mutex: {how}, {opName} (lib/libthr/thread/thr_umtx.c: __thr_umutex_lock)" };
        if (!memory.TryReadUInt32(mutex, out uint owner))
        {
            evidence.Add($"the mutex's owner word at 0x{mutex:x} is not in the core ({memory.Explain(mutex) ?? "unavailable"}): its holder is unknown");
            return new WaitEdge(t.Thread.Lwp, null, "pthread-mutex", resource, Confidence.Likely, evidence);
        }
        uint tid = owner & ~UmutexContested;
        string word = $"m_owner = 0x{owner:x8}";
        int? holder = null;
        if (owner is UmutexOwnerDead or UmutexNotRecoverable)
            evidence.Add($"{word}: its owner died holding it (UMUTEX_RB_{(owner == UmutexOwnerDead ? "OWNERDEAD" : "NOTRECOV")}, sys/sys/umtx.h)");
        else if (tid == 0)
            evidence.Add($"{word}: nobody owns it any more (the owner unlocked it and the waiter has not yet retried)");
        else if (tid <= int.MaxValue && lwps.Contains((int)tid))
        {
            holder = (int)tid;
            evidence.Add($"{word}: the owner's thread id is {tid}, with UMUTEX_CONTESTED {((owner & UmutexContested) != 0 ? "set" : "clear")} (sys/sys/_umtx.h: struct umutex, m_owner; sys/sys/umtx.h)");
            switch (holds?.Invoke(holder.Value, mutex))
            {
                case true: evidence.Add($"LWP {tid}'s struct pthread lists the mutex among those it holds (its mq queues; lib/libthr/thread/thr_mutex.c: enqueue_mutex)"); break;
                case false: evidence.Add($"LWP {tid}'s struct pthread does not list the mutex among those it holds (its mq queues): a mutex shared between processes, or an inconsistent core"); break;
            }
        }
        else
            evidence.Add($"{word}: thread id {tid} is not a thread of the core (it exited holding the mutex, or the word is not a mutex)");
        return new WaitEdge(t.Thread.Lwp, holder, "pthread-mutex", resource, holder is null ? Confidence.Likely : confidence, evidence);
    }

    private static WaitEdge Rwlock(ThreadAnalysis t, ulong rwlock, int op, AddressSpace memory, IReadOnlySet<int> lwps, Func<ulong, int?> lwpOfPthread, Confidence confidence, string how)
    {
        string resource = $"pthread rwlock at 0x{rwlock:x}";
        string mode = op == UmtxOpRwRdLock ? "read" : "write";
        var evidence = new List<string> { $"LWP {t.Thread.Lwp} waits to {mode}-lock the rwlock: {how} (lib/libthr/thread/thr_rwlock.c)" };
        int? holder = null;
        if (!memory.TryReadUInt32(rwlock, out uint state))
            evidence.Add($"the rwlock's state at 0x{rwlock:x} is not in the core: its holder is unknown");
        else if ((state & UrwlockWriteOwner) == 0)
            evidence.Add($"rw_state = 0x{state:x8}: {state & UrwlockMaxReaders} readers hold it, and libthr does not record which threads they are");
        else if (memory.TryReadUInt64(rwlock + RwlockOwnerOffset, out ulong owner))
        {
            // 11+ store the owner's thread id, 10.x its struct pthread (thr_private.h: struct pthread_rwlock, owner).
            if ((uint)owner is var tid && tid <= int.MaxValue && lwps.Contains((int)tid)) holder = (int)tid;
            else if (lwpOfPthread(owner) is { } byPthread) holder = byPthread;
            evidence.Add(holder is { } h
                ? $"rw_state = 0x{state:x8}: a writer owns it; owner = 0x{owner:x} is LWP {h} (lib/libthr/thread/thr_private.h: struct pthread_rwlock)"
                : $"rw_state = 0x{state:x8}: a writer owns it, but owner = 0x{owner:x} is no thread of the core");
        }
        return new WaitEdge(t.Thread.Lwp, holder, "pthread-rwlock", resource, holder is null ? Confidence.Likely : confidence, evidence);
    }
}
