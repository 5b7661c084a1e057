using System.Runtime.InteropServices;
using System.Text;

namespace CoreSleuth.Cli;

/// <summary>
/// The identity of a file on Unix: its device and inode, by stat(2). Two names of one file (hard
/// links, or a path through a bind mount) have the same identity where their paths differ.
/// </summary>
internal static unsafe class FileIdentity
{
    /// <summary>
    /// stat(2), looked up among the symbols the process already has (libc is loaded by every .NET
    /// host and linked into the native binary): no library path to guess, under the .NET tool or
    /// NativeAOT. Null where there is none of that name (Windows; glibc before 2.33 exported it
    /// only as __xstat): then files are told apart by their resolved paths only.
    /// </summary>
    private static readonly delegate* unmanaged<byte*, byte*, int> stat = Find();

    private static delegate* unmanaged<byte*, byte*, int> Find()
    {
        if (OperatingSystem.IsWindows()) return null;
        try
        {
            return NativeLibrary.TryGetExport(NativeLibrary.GetMainProgramHandle(), "stat", out nint address)
                ? (delegate* unmanaged<byte*, byte*, int>)address
                : null;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException or NotSupportedException) { return null; }
    }

    /// <summary>
    /// (device, inode) of the file at <paramref name="path"/> (a symbolic link is followed), or null
    /// when it cannot be told (no such file, no stat). Both fields are the first two 8-byte words of
    /// struct stat on Linux (x86-64, arm64) and FreeBSD 12+; on macOS the first word also holds mode
    /// and link count, which are the same for one file too.
    /// </summary>
    public static (ulong Device, ulong Inode)? Of(string path)
    {
        if (stat == null || path.Length == 0) return null;
        // Larger than struct stat anywhere (144 bytes on Linux x86-64, 224 on FreeBSD).
        byte* buffer = stackalloc byte[512];
        byte[] name = Encoding.UTF8.GetBytes(path + "\0");
        fixed (byte* p = name)
            if (stat(p, buffer) != 0) return null;
        return (*(ulong*)buffer, *(ulong*)(buffer + 8));
    }
}
