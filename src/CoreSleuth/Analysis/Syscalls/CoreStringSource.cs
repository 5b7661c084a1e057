using CoreSleuth.FreeBsd.Syscalls;
using CoreSleuth.Memory;

namespace CoreSleuth.Analysis.Syscalls;

/// <summary>Lets the syscall decoder read path arguments from the core's memory, keeping the reason when it cannot.</summary>
public sealed class CoreStringSource(AddressSpace memory) : IStringSource
{
    public CString ReadCString(ulong address, int maxBytes)
    {
        var s = memory.ReadCString(address, maxBytes);
        return s.Status switch
        {
            CoreStringStatus.Complete => new CString.Ok(s.Text, Truncated: false),
            CoreStringStatus.CutShort => new CString.Ok(s.Text, Truncated: true),
            CoreStringStatus.Truncated => new CString.NotTerminated(s.Text, maxBytes),
            _ => new CString.Unavailable(s.Reason ?? "not in the core"),
        };
    }
}
