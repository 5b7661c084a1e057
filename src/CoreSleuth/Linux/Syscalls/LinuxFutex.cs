using System.Globalization;

namespace CoreSleuth.Linux.Syscalls;

/// <summary>
/// The op argument of futex(2) (include/uapi/linux/futex.h): a command in the low bits plus
/// FUTEX_PRIVATE_FLAG (128) and FUTEX_CLOCK_REALTIME (256). Formatted as strace does, e.g.
/// <c>FUTEX_WAIT_PRIVATE</c>, <c>FUTEX_WAIT_BITSET_PRIVATE|FUTEX_CLOCK_REALTIME</c>.
/// </summary>
public static class LinuxFutex
{
    public const int FUTEX_WAIT = 0, FUTEX_WAKE = 1, FUTEX_LOCK_PI = 6, FUTEX_WAIT_BITSET = 9, FUTEX_WAIT_REQUEUE_PI = 11, FUTEX_LOCK_PI2 = 13;
    public const int FUTEX_PRIVATE_FLAG = 128, FUTEX_CLOCK_REALTIME = 256;
    public const int FUTEX_CMD_MASK = ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);

    private static readonly string[] Commands =
    [
        "FUTEX_WAIT", "FUTEX_WAKE", "FUTEX_FD", "FUTEX_REQUEUE", "FUTEX_CMP_REQUEUE", "FUTEX_WAKE_OP", "FUTEX_LOCK_PI",
        "FUTEX_UNLOCK_PI", "FUTEX_TRYLOCK_PI", "FUTEX_WAIT_BITSET", "FUTEX_WAKE_BITSET", "FUTEX_WAIT_REQUEUE_PI",
        "FUTEX_CMP_REQUEUE_PI", "FUTEX_LOCK_PI2",
    ];

    /// <summary>The command of <paramref name="op"/> without the flag bits.</summary>
    public static int Command(int op) => op & FUTEX_CMD_MASK;

    /// <summary>True for the commands that sleep: WAIT, WAIT_BITSET, LOCK_PI, LOCK_PI2, WAIT_REQUEUE_PI.</summary>
    public static bool IsWait(int op) =>
        Command(op) is FUTEX_WAIT or FUTEX_WAIT_BITSET or FUTEX_LOCK_PI or FUTEX_LOCK_PI2 or FUTEX_WAIT_REQUEUE_PI;

    public static string Format(int op)
    {
        int cmd = Command(op);
        if (cmd < 0 || cmd >= Commands.Length) return "0x" + ((uint)op).ToString("x", CultureInfo.InvariantCulture);
        string text = Commands[cmd];
        if ((op & FUTEX_PRIVATE_FLAG) != 0) text += "_PRIVATE";
        if ((op & FUTEX_CLOCK_REALTIME) != 0) text += "|FUTEX_CLOCK_REALTIME";
        return text;
    }
}
