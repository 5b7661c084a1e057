using System.Text;
using CoreSleuth.Testing.Cores;
using CoreSleuth.Tests.Cli;

namespace CoreSleuth.Tests.Regression;

/// <summary>
/// Small cores written with the test-support writer (which shares nothing with the reader):
/// a gcore of a process whose connection thread sleeps in open() on a FIFO with wait message
/// "fifoor" (spec §8.1, §10), and a folder to check them in.
/// </summary>
internal static class CheckFixtures
{
    public const int MainLwp = 100100, LoaderLwp = 100123;
    public const ulong Code = 0x8_0010_0000, Data = 0x8_0020_0000, Stack = 0x7fff_dffd_f000;

    /// <summary>rip of the sleeping thread: just after the 0F 05 (syscall) at Code+0x10, spec §7.2.</summary>
    public const ulong SyscallReturn = Code + 0x12;

    public const ulong PathAddress = Data + 0x100;

    /// <summary>
    /// The hung process: the main thread asleep in kevent ("kqread"), the LOAD DATA thread asleep in
    /// open(<paramref name="fifoPath"/>, O_RDONLY) (rax = 5, rdi = the path, rsi = 0) with "fifoor".
    /// </summary>
    public static CoreSpec BlockedOpen(string fifoPath = "/tmp/ghost.fifo", int loaderLwp = LoaderLwp)
    {
        var code = new byte[0x100];
        code[0x10] = 0x0F; // syscall (spec §7.2: rip is the instruction after it)
        code[0x11] = 0x05;
        var data = new byte[0x1000];
        Encoding.ASCII.GetBytes(fifoPath + "\0").CopyTo(data, 0x100);

        var main = new ThreadSpec
        {
            Lwp = MainLwp, Name = "mysqld",
            Registers = new Registers { Rax = 560, Rip = Code + 0x80, Rsp = Stack + 0x10000 },
            Kinfo = new ThreadKinfo { WaitMessage = "kqread", WaitChannel = 0xfffff800_0000_1000, TdFlags = TdFlags.InMem | TdFlags.SIntr },
        };
        var loader = new ThreadSpec
        {
            Lwp = loaderLwp, Name = "connection",
            Registers = new Registers { Rax = 5, Rdi = PathAddress, Rsi = 0, Rip = SyscallReturn, Rsp = Stack + 0x8000, Err = 2 },
            Kinfo = new ThreadKinfo { WaitMessage = "fifoor", WaitChannel = 0xfffff800_1234_5678, TdFlags = TdFlags.InMem | TdFlags.SIntr },
        };
        return new CoreSpec
        {
            Producer = CoreProducer.Gcore,
            OsRelDate = 1400097,
            Process = new ProcessSpec { Pid = 4242, Command = "mysqld", Arguments = ["/usr/local/libexec/mysqld"] },
            Threads = [main, loader],
            Mappings =
            [
                MappingSpec.Anonymous(Code, 0x1000, code) with { Protection = KveProt.ReadExec },
                MappingSpec.Anonymous(Data, 0x1000, data),
                MappingSpec.Anonymous(Stack, 0x20000) with { Flags = KveFlags.GrowsDown },
            ],
        };
    }

    /// <summary>The expectation a person would write for <see cref="BlockedOpen"/>, from the spec (not from a report).</summary>
    public static string Expectation(string path = "/tmp/ghost.fifo", string wait = "fifoor", int lwp = LoaderLwp, string extra = "") => $$"""
        {
          "schema": "coresleuth.expect/1",
          {{extra}}
          "findings": [
            { "kind": "blocked-fifo-open", "lwp": {{lwp}}, "path": "{{path}}", "direction": "read", "confidence": "certain" }
          ],
          "threads": [
            { "lwp": {{lwp}}, "wait": "{{wait}}", "syscall": { "name": "open", "number": 5, "state": "in-kernel", "path": "{{path}}" } },
            { "lwp": {{MainLwp}}, "wait": "kqread" }
          ]
        }
        """;
}

/// <summary>A temporary folder of cores, removed afterwards.</summary>
internal sealed class CheckFolder : IDisposable
{
    public CheckFolder()
    {
        Root = Path.Combine(Path.GetTempPath(), "coresleuth-check-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Root);
    }

    public string Root { get; }

    public string PathOf(string relative) => Path.Combine(Root, relative);

    public string WriteCore(string relative, CoreSpec spec)
    {
        string path = PathOf(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        CoreWriter.WriteFile(spec, path);
        return path;
    }

    public string WriteText(string relative, string text)
    {
        string path = PathOf(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    public string WriteBytes(string relative, byte[] bytes)
    {
        string path = PathOf(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>Copies a corpus core in (expectation files go beside the core, and the corpus is read-only).</summary>
    public string CopyCorpusCore(string name, string relative)
    {
        string path = PathOf(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.Copy(Support.Corpus.Core(name), path);
        File.SetAttributes(path, FileAttributes.Normal);
        return path;
    }

    /// <summary>Runs <c>coresleuth check</c> in-process on this folder, with <paramref name="options"/> after it.</summary>
    public CliResult Check(params string[] options) => Coresleuth.Run(["check", Root, .. options]);

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
