using System.Diagnostics;
using CoreSleuth.Tests.Support;

namespace CoreSleuth.Tests.Linux;

/// <summary>
/// A real Linux core of the incident in miniature: <c>cat f</c> on a FIFO with no writer,
/// asleep in openat(AT_FDCWD, "f", O_RDONLY), dumped by gdb's <c>gcore</c>. Made once per
/// test class in a temporary directory; the cat process is killed and the directory removed
/// afterwards. gdb itself is then the oracle: its reading of the same core is kept in
/// <see cref="GdbView"/>.
/// </summary>
public sealed class FifoCatCore : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("coresleuth-linux-").FullName;

    public FifoCatCore()
    {
        Run("mkfifo", TimeSpan.FromSeconds(10), "f");
        var cat = Process.Start(new ProcessStartInfo("cat", "f") { WorkingDirectory = directory, RedirectStandardOutput = true })
            ?? throw new InvalidOperationException("cat did not start");
        CatPid = cat.Id;
        try
        {
            LiveSyscall = WaitUntilInOpenat(CatPid);
            Executable = File.ResolveLinkTarget($"/proc/{CatPid}/exe", returnFinalTarget: true)?.FullName ?? "/usr/bin/cat";
            CorePath = Path.Combine(directory, "core");
            // ulimit -f bounds the core (bash counts 1024-byte blocks): a tiny process needs about 1 MB.
            Run("bash", TimeSpan.FromSeconds(120), "-c", $"ulimit -f 65536; exec gdb -batch -nx -p {CatPid} -ex 'gcore {CorePath}'");
            if (!File.Exists(CorePath)) throw new InvalidOperationException($"gdb wrote no core at {CorePath}");
            GdbView = Run("gdb", TimeSpan.FromSeconds(120), "-batch", "-nx",
                "-ex", "info registers", "-ex", "p $orig_rax", "-ex", "p/x $fs_base", "-ex", "p/x $gs_base",
                "-ex", "p $_siginfo.si_signo", "-ex", "p $_siginfo.si_code", "-ex", "info proc mappings", "-ex", "info auxv",
                Executable, CorePath);
        }
        finally
        {
            try { cat.Kill(); cat.WaitForExit(5000); } catch (InvalidOperationException) { } // already gone
            cat.Dispose();
        }
    }

    public int CatPid { get; }
    public string LiveSyscall { get; } = "";
    public string Executable { get; } = "";
    public string CorePath { get; } = "";
    public string GdbView { get; } = "";

    /// <summary>/proc/PID/FILE, or "" once the process is gone.</summary>
    internal static string ReadProc(int pid, string file)
    {
        try { return File.ReadAllText($"/proc/{pid}/{file}"); }
        catch (IOException) { return ""; }
    }

    /// <summary>
    /// Waits until the process sleeps in openat (/proc/PID/syscall starts with its number 257, proc(5)), at most
    /// 10 s; returns that line.
    /// </summary>
    internal static string WaitUntilInOpenat(int pid)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!ReadProc(pid, "syscall").StartsWith("257 ", StringComparison.Ordinal))
        {
            if (DateTime.UtcNow > deadline)
                throw new InvalidOperationException($"cat is not asleep in openat after 10 s: /proc/{pid}/syscall = {ReadProc(pid, "syscall")}");
            Thread.Sleep(50);
        }
        return ReadProc(pid, "syscall").Trim();
    }

    private string Run(string tool, TimeSpan timeout, params string[] args)
    {
        var psi = new ProcessStartInfo(tool) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"{tool} did not start");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"{tool} {string.Join(' ', args)} did not finish in {timeout.TotalSeconds} s");
        }
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"{tool} {string.Join(' ', args)} exited {p.ExitCode}: {stderr.Result}");
        return stdout.Result;
    }

    public void Dispose()
    {
        try { Directory.Delete(directory, recursive: true); } catch (IOException) { }
    }

    /// <summary>Why the real-core tests cannot run here, or null when they can.</summary>
    public static string? MissingReason =>
        !OperatingSystem.IsLinux() ? "the real Linux core is made on Linux only"
        : Tools.FindOnPath("gdb") is null ? "gdb is not on PATH (the real Linux core is made with gdb's gcore)"
        : Tools.FindOnPath("mkfifo") is null || Tools.FindOnPath("cat") is null ? "mkfifo or cat is not on PATH"
        : File.Exists("/proc/sys/kernel/yama/ptrace_scope") && File.ReadAllText("/proc/sys/kernel/yama/ptrace_scope").Trim() == "3"
            ? "ptrace is disabled (kernel.yama.ptrace_scope = 3), so gdb cannot attach"
        : File.Exists("/proc/sys/kernel/yama/ptrace_scope") && File.ReadAllText("/proc/sys/kernel/yama/ptrace_scope").Trim() != "0"
            && Environment.UserName != "root"
            ? "kernel.yama.ptrace_scope restricts ptrace to ancestors and this user is not root, so gdb cannot attach to cat"
        : null;
}

/// <summary>A fact that needs a real Linux core made with gdb; skipped with a reason when gdb (or Linux) is absent.</summary>
public sealed class GdbCoreFactAttribute : FactAttribute
{
    public GdbCoreFactAttribute()
    {
        if (FifoCatCore.MissingReason is { } reason) Skip = reason;
    }
}
