using System.Buffers.Binary;
using CoreSleuth.Testing.Images;

namespace CoreSleuth.Testing.Scenarios;

/// <summary>
/// A scenario's <c>mutexes</c> as libthr keeps them (FreeBSD 13.x/14.x, lib/libthr/thread/thr_private.h):
/// each a <c>struct pthread_mutex</c> in the heap whose first member, <c>struct umutex m_lock</c>
/// (sys/sys/_umtx.h), begins with <c>m_owner</c> = the owner's LWP | UMUTEX_CONTESTED (a thread sleeps
/// on it), and which thr_mutex.c's <c>enqueue_mutex</c> has linked into its owner's <c>struct pthread</c>:
/// <c>mq[TMQ_NORM]</c> through <c>m_qe</c> and, for a process-private mutex, <c>mq[TMQ_NORM_PRIV]</c>
/// through <c>m_pqe</c>.
/// </summary>
public static class ScenarioMutexes
{
    /// <summary>UMUTEX_CONTESTED (sys/sys/umtx.h): set in m_owner while a thread waits in the kernel.</summary>
    public const uint UmutexContested = 0x80000000;

    /// <summary>sizeof(struct pthread_mutex) on amd64: umutex (32), m_flags, m_count, m_spinloops, m_yieldloops, m_ps, m_qe, m_pqe, m_rb_prev.</summary>
    public const int MutexSize = 96;
    public const int MFlagsOffset = 32, MSpinloopsOffset = 40, MQeOffset = 56, MPqeOffset = 72;

    /// <summary>offsetof(struct pthread, mq) in 13.x/14.x (struct mutex_queue mq[TMQ_NITEMS = 6], 16 bytes each;
    /// ../shared/spec/struct-offsets.txt: mq off 424 size 96).</summary>
    public const int MutexQueuesOffset = 424;
    public const int MutexQueueCount = 6;
    public const int TmqNorm = 0, TmqNormPriv = 1;

    /// <summary>thr_mutex.c: MUTEX_ADAPTIVE_SPINS, the m_spinloops of an adaptive mutex when _thr_spinloops is 0.</summary>
    public const int AdaptiveSpins = 2000;

    /// <summary>The heap records of the mutexes and the words of each owner's struct pthread (by LWP).</summary>
    public sealed record Layout(IReadOnlyList<HeapData> Heap, IReadOnlyDictionary<int, IReadOnlyList<(int Offset, ulong Value)>> PthreadWords);

    public static Layout Build(Scenario s, FreeBsdVersion v, IReadOnlyList<ScenarioThread> threads)
    {
        if (s.Mutexes.Count == 0) return new Layout([], new Dictionary<int, IReadOnlyList<(int, ulong)>>());
        if (v.Major < 13)
            throw new InvalidDataException($"mutexes: the owned-mutex queues of struct pthread are modelled for FreeBSD 13.x/14.x only, not {v}");

        var heap = new List<HeapData>();
        var words = new Dictionary<int, IReadOnlyList<(int, ulong)>>();
        foreach (var group in s.Mutexes.GroupBy(m => m.Owner))
        {
            var owner = threads.FirstOrDefault(t => t.Lwp == group.Key)
                ?? throw new InvalidDataException($"mutexes: owner {group.Key} is not a live thread");
            ulong pthread = owner.Model.Pthread
                ?? throw new InvalidDataException($"mutexes: owner {group.Key} needs a fixed \"pthread\" (its struct pthread holds the mutex queues)");
            var owned = group.ToList();
            foreach (var m in owned)
                if (m.At == 0 || m.At % 8 != 0) throw new InvalidDataException($"mutexes: {m.Label} needs an 8-aligned \"at\"");

            ulong Head(int queue) => pthread + (ulong)(MutexQueuesOffset + 16 * queue);
            for (int i = 0; i < owned.Count; i++)
            {
                var m = owned[i];
                var bytes = new byte[MutexSize];
                BinaryPrimitives.WriteUInt32LittleEndian(bytes, (uint)group.Key | UmutexContested);   // m_lock.m_owner; m_lock.m_flags 0 (PRIO_NONE, private)
                int type = Type(m);
                BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(MFlagsOffset), type);
                if (type == 4) BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(MSpinloopsOffset), AdaptiveSpins);
                // TAILQ_ENTRY: tqe_next (the next mutex the owner locked, or NULL), tqe_prev (&previous tqe_next or &head.tqh_first).
                ulong next = i + 1 < owned.Count ? owned[i + 1].At : 0;
                BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(MQeOffset), next);
                BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(MQeOffset + 8), i == 0 ? Head(TmqNorm) : owned[i - 1].At + MQeOffset);
                BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(MPqeOffset), next);
                BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(MPqeOffset + 8), i == 0 ? Head(TmqNormPriv) : owned[i - 1].At + MPqeOffset);
                heap.Add(new HeapData($"mutex:{m.Label}", bytes) { Address = m.At });
            }

            // TAILQ_HEAD: tqh_first, tqh_last (&last element's tqe_next); the other queues empty (tqh_last = &tqh_first, TAILQ_INIT).
            var list = new List<(int, ulong)>();
            for (int q = 0; q < MutexQueueCount; q++)
            {
                int offset = MutexQueuesOffset + 16 * q;
                bool used = q is TmqNorm or TmqNormPriv;
                list.Add((offset, used ? owned[0].At : 0));
                list.Add((offset + 8, used ? owned[^1].At + (ulong)(q == TmqNorm ? MQeOffset : MPqeOffset) : Head(q)));
            }
            words[group.Key] = list;
        }
        return new Layout(heap, words);
    }

    /// <summary>enum pthread_mutextype (sys/pthread.h).</summary>
    private static int Type(MutexModel m) => m.Type switch
    {
        "errorcheck" => 1,
        "recursive" => 2,
        "normal" => 3,
        "adaptive" => 4,
        _ => throw new InvalidDataException($"mutexes: {m.Label}: type \"{m.Type}\" is not errorcheck, recursive, normal or adaptive"),
    };
}
