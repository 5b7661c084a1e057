using CoreSleuth.Analysis.Unwind;
using CoreSleuth.FreeBsd.Syscalls;
using CoreSleuth.Memory;

namespace CoreSleuth.Analysis.MySql;

/// <summary>A reconstructed argument of a known function's frame, and where its value came from.</summary>
public sealed record FrameArgument(string Name, string Value, string Source);

/// <summary>
/// <c>File my_open(const char *FileName, int Flags, myf MyFlags)</c> (spec §10): when a blocked
/// thread's stack holds a my_open frame directly above libc/libthr's open, my_open passed
/// FileName and Flags to open() unchanged, so the syscall arguments give them; a callee-saved
/// register that CFI recovered in the my_open frame and that points at the same string
/// corroborates FileName. MyFlags lives only in my_open's registers and is reported when no
/// recovered register can hold it.
/// </summary>
public static class MyOpenArguments
{
    public static IReadOnlyList<FrameArgument>? For(ThreadAnalysis thread, int frameIndex, AddressSpace memory)
    {
        var frame = thread.Frames[frameIndex];
        if (!IsMyOpen(frame.Symbol.Symbol, frame.Symbol.DisplayName)) return null;
        // Everything between the syscall and my_open must be open() wrappers (libc's, libthr's interposer).
        if (thread.Frames.Take(frameIndex).Any(f => f.Symbol.Symbol is { } n && !IsOpenWrapper(n))) return null;
        if (thread.Syscall is not { } call || thread.Site is not { OpenArguments: not null } site) return null;

        var path = call.Arguments.FirstOrDefault(a => a.Kind == SyscallArgKind.Path);
        var flags = call.Arguments.FirstOrDefault(a => a.Kind == SyscallArgKind.OpenFlags);
        string via = $"argument of the {call.Name}() system call that my_open made (it passes FileName and Flags to open() unchanged)";
        var result = new List<FrameArgument>();
        if (path is not null)
        {
            string source = via;
            if (path.Raw is { } address)
                foreach (var r in frame.Frame.Registers.Where(r => r.Value == address))
                    source += $"; also in {r.Name} in this frame ({r.Source})";
            result.Add(new FrameArgument("FileName", path.Text, source));
        }
        if (flags is not null) result.Add(new FrameArgument("Flags", flags.Text, via));
        var recovered = frame.Frame.Registers.Select(r => r.Name).ToList();
        result.Add(new FrameArgument("MyFlags", "unknown",
            recovered.Count == 0
                ? "passed in rdx, which no later frame preserves, and CFI recovered no callee-saved register of this frame"
                : $"passed in rdx; the registers CFI recovered for this frame ({string.Join(", ", recovered)}) do not identify it"));
        return result;
    }

    private static bool IsMyOpen(string? symbol, string? display) =>
        symbol is "my_open" or "_Z7my_openPKcim" or "_Z7my_openPKcii" || display?.StartsWith("my_open(", StringComparison.Ordinal) == true;

    private static bool IsOpenWrapper(string name) =>
        name is "open" or "_open" or "__open" or "__sys_open" or "openat" or "_openat" or "__sys_openat" or "__libc_open"
        || name.StartsWith("__thr_open", StringComparison.Ordinal) || name.EndsWith("open@plt", StringComparison.Ordinal);
}
