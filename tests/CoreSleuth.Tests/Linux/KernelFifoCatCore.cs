using System.Diagnostics;
using System.Runtime.InteropServices;
using CoreSleuth.Tests.Support;

namespace CoreSleuth.Tests.Linux;

/// <summary>
/// A core written by the Linux kernel itself: <c>cat f</c> asleep opening a FIFO with no
/// writer, sent SIGABRT (whose default action dumps core) by this test process. Not SIGQUIT:
/// a shell without job control starts background commands with SIGQUIT ignored, and cat inherits
/// that when the tests themselves run in the background (`dotnet test &`). Before the
/// signal, /proc/PID/syscall and /proc/PID/maps are kept as the oracle: the kernel's own view
/// of the call and of the file mappings, independent of any debugger.
/// </summary>
public sealed partial class KernelFifoCatCore : IDisposable
{
    private const int SIGABRT = 6;
    private readonly string directory = Directory.CreateTempSubdirectory("coresleuth-linux-kcore-").FullName;

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int sig);

    public KernelFifoCatCore()
    {
        using (var mk = Process.Start(new ProcessStartInfo("mkfifo", "f") { WorkingDirectory = directory })!)
            mk.WaitForExit();
        // ulimit -c/-f bound the core (1024-byte blocks); exec keeps the pid, so the shell's pid is cat's.
        var psi = new ProcessStartInfo("bash") { WorkingDirectory = directory, RedirectStandardOutput = true };
        foreach (var a in new[] { "-c", "ulimit -c 65536; ulimit -f 65536; exec cat f" }) psi.ArgumentList.Add(a);
        // /proc/thread-self is "PID/task/TID" of the calling thread: the thread that forks bash.
        ForkingThreadId = int.Parse(Path.GetFileName(new FileInfo("/proc/thread-self").LinkTarget!), System.Globalization.CultureInfo.InvariantCulture);
        using var cat = Process.Start(psi) ?? throw new InvalidOperationException("bash did not start");
        CatPid = cat.Id;
        try
        {
            LiveSyscall = FifoCatCore.WaitUntilInOpenat(CatPid);
            LiveMaps = FifoCatCore.ReadProc(CatPid, "maps");
            if (kill(CatPid, SIGABRT) != 0) throw new InvalidOperationException($"kill(SIGABRT) failed: errno {Marshal.GetLastPInvokeError()}");
            if (!cat.WaitForExit(30_000)) throw new InvalidOperationException("cat did not exit after SIGABRT within 30 s");
        }
        finally
        {
            if (!cat.HasExited) cat.Kill();
        }
        CorePath = Directory.EnumerateFiles(directory, "core*").FirstOrDefault()
            ?? throw new InvalidOperationException(
                $"the kernel wrote no core into {directory} (core_pattern {File.ReadAllText("/proc/sys/kernel/core_pattern").Trim()})");
    }

    public int CatPid { get; }

    /// <summary>The id of the thread of this process that started bash (and so is cat's parent task).</summary>
    public int ForkingThreadId { get; }
    public string LiveSyscall { get; } = "";
    public string LiveMaps { get; } = "";
    public string CorePath { get; }

    public void Dispose()
    {
        try { Directory.Delete(directory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>Why the kernel cannot write the core into the test's directory here, or null when it can.</summary>
    public static string? MissingReason
    {
        get
        {
            if (!OperatingSystem.IsLinux()) return "the kernel-written core is made on Linux only";
            if (Tools.FindOnPath("bash") is null || Tools.FindOnPath("mkfifo") is null || Tools.FindOnPath("cat") is null)
                return "bash, mkfifo or cat is not on PATH";
            string pattern = File.ReadAllText("/proc/sys/kernel/core_pattern").Trim();
            if (pattern.StartsWith('|') || pattern.Contains('/'))
                return $"kernel.core_pattern is '{pattern}': the core goes to a helper or another directory, not the dumping process's";
            var hard = File.ReadLines("/proc/self/limits").FirstOrDefault(l => l.StartsWith("Max core file size", StringComparison.Ordinal));
            if (hard is not null && hard.Split(' ', StringSplitOptions.RemoveEmptyEntries) is var f && f.Length > 5 && f[5] == "0")
                return "the hard RLIMIT_CORE is 0, so no core can be written";
            return null;
        }
    }
}

/// <summary>A fact that needs a core written by the Linux kernel; skipped with a reason when none can be made here.</summary>
public sealed class KernelCoreFactAttribute : FactAttribute
{
    public KernelCoreFactAttribute()
    {
        if (KernelFifoCatCore.MissingReason is { } reason) Skip = reason;
    }
}
