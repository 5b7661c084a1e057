using System.Buffers.Binary;
using System.Text;
using CoreSleuth.Analysis;
using CoreSleuth.Testing.Cores;
using CoreSleuth.Testing.Images;

namespace CoreSleuth.Tests.Hostile;

/// <summary>A core to damage: its bytes, its map, how to analyse it, how often to pick it.</summary>
public sealed class SeedCore
{
    private readonly Lazy<CoreFields> map;

    public SeedCore(string name, byte[] bytes, AnalysisOptions options, int weight, IEnumerable<(ulong, FieldKind, string)>? hints = null)
        : this(name, bytes, options, weight, new Lazy<CoreFields>(() => CoreFields.Parse(bytes, hints)))
    {
    }

    private SeedCore(string name, byte[] bytes, AnalysisOptions options, int weight, Lazy<CoreFields> map)
    {
        Name = name;
        Bytes = bytes;
        Options = options;
        Weight = weight;
        this.map = map;
    }

    public string Name { get; }
    public byte[] Bytes { get; }
    public AnalysisOptions Options { get; }
    public int Weight { get; }
    public CoreFields Map => map.Value;

    /// <summary>A private copy of the bytes (the map is shared), for a worker that mutates in place.</summary>
    public SeedCore Clone()
    {
        _ = map.Value;
        return new SeedCore(Name, (byte[])Bytes.Clone(), Options, Weight, map);
    }

    public override string ToString() => $"{Name} ({Bytes.Length} bytes)";
}

/// <summary>
/// The seeds of the mutation run and of the fuzzer: small hand-described cores of each producer
/// (gcore, kernel, gdb; 10.x and 14.x layouts) with a TCB, a libthr thread list, a frame chain
/// and a thread blocked opening a FIFO; the 23-thread mysqld process image; and every core of
/// the shared corpus and of <c>samples/</c> that is present.
/// </summary>
public static class SeedCores
{
    public const ulong StackBase = 0x7fffdf000000, HeapBase = 0x801000000, TextBase = 0x200000;

    /// <summary>The small synthetic seeds (a few KB to ~100 KB each; analysed in about a millisecond).</summary>
    public static IEnumerable<(string Name, byte[] Bytes)> Synthetic()
    {
        var basic = SmallProcess(osRelDate: 1400097);
        yield return ("gcore-14", CoreWriter.WriteToArray(basic));
        yield return ("kernel-14", CoreWriter.WriteToArray(ProducerSemantics.AsKernelDump(basic, signalledLwp: 100101)));
        yield return ("gdb-14", CoreWriter.WriteToArray(basic with { Producer = Testing.Cores.CoreProducer.Gdb, WritePtLwpInfo = false }));
        var old = SmallProcess(osRelDate: 1001000);
        yield return ("gcore-10", CoreWriter.WriteToArray(old));
        yield return ("kernel-unpacked-13", CoreWriter.WriteToArray(ProducerSemantics.AsKernelDump(SmallProcess(1300139), signalledLwp: 100100) with
        {
            PackFileInfo = false, PackVmmapInfo = false, FilesNotePadding = 64, VmmapNotePadding = 64,
        }));
    }

    /// <summary>
    /// Two threads of a process on <paramref name="osRelDate"/>: LWP 100101 is blocked in
    /// openat("/tmp/ghost.fifo") with wait message "fifoor" (spec §7, §8.1); each thread has a TCB
    /// (self-pointer, tcb_thread) and a struct pthread (tid, tle link, tcb back-pointer) as in
    /// spec §9, and a two-frame %rbp chain on its stack.
    /// </summary>
    public static CoreSpec SmallProcess(int osRelDate, string connectionName = "connection", string fifoPath = "/tmp/ghost.fifo",
        IReadOnlyList<string>? arguments = null, string executable = "/usr/local/libexec/mysqld")
    {
        arguments ??= [executable, "--user=mysql"];
        bool v13 = osRelDate >= 1300000;
        int tleNext = v13 ? 64 : 56, tcbSlot = osRelDate >= 1300000 ? 552 : osRelDate >= 1100000 ? 544 : 480;
        var heap = new byte[0x4000];
        var stack = new byte[0x4000];
        int[] lwps = [100100, 100101];
        ulong[] tcbs = [HeapBase + 0x100, HeapBase + 0x200];
        ulong[] pthreads = [HeapBase + 0x1000, HeapBase + 0x2000];
        for (int i = 0; i < 2; i++)
        {
            int t = (int)(tcbs[i] - HeapBase), p = (int)(pthreads[i] - HeapBase);
            Le(heap, t, tcbs[i]);               // tcb_self
            Le(heap, t + 16, pthreads[i]);      // tcb_thread
            Le(heap, p, (ulong)lwps[i]);        // tid
            Le(heap, p + tleNext, i == 0 ? pthreads[1] : 0); // newest first would be reversed; any order is a list
            Le(heap, p + tcbSlot, tcbs[i]);     // back-pointer
        }
        // ps_strings { argv, argc } with two arguments on the first stack (spec §2.2 NT_PROCSTAT_PSSTRINGS).
        Le(stack, 0x3000, StackBase + 0x3100);
        Le(stack, 0x3008, (ulong)arguments.Count);
        for (int i = 0, at = 0x3200; i < arguments.Count; i++)
        {
            Le(stack, 0x3100 + 8 * i, StackBase + (ulong)at);
            at += Encoding.UTF8.GetBytes(arguments[i] + "\0", stack.AsSpan(at));
        }
        // _thread_list head in the heap page, then the statement that quotes the path.
        Le(heap, 0x3000, pthreads[0]);
        Encoding.UTF8.GetBytes($"LOAD DATA INFILE '{fifoPath}' INTO TABLE t1\0").CopyTo(heap, 0x3100);

        var registers = new List<Registers>();
        for (int i = 0; i < 2; i++)
        {
            ulong top = StackBase + 0x2000UL * (ulong)i;
            int s = (int)(top - StackBase);
            ulong rbp = top + 0x100, rbp2 = top + 0x180;
            Le(stack, s + 0x100, rbp2);         // saved rbp
            Le(stack, s + 0x108, TextBase + 0x1234);
            Le(stack, s + 0x180, 0);            // end of the chain
            Le(stack, s + 0x188, TextBase + 0x1300);
            Encoding.UTF8.GetBytes(fifoPath + "\0").CopyTo(stack, s + 0x400);
            registers.Add(i == 1
                ? new Registers { Rax = v13 ? 499UL : 5UL, Rdi = v13 ? unchecked((ulong)-100L) : top + 0x400, Rsi = v13 ? top + 0x400 : 0, Rdx = 0, R10 = 0,
                    Rip = TextBase + 0x2010, Rsp = top + 0x80, Rbp = rbp, Err = 2, Rflags = 0x246 }
                : new Registers { Rax = 240, Rdi = top + 0x200, Rip = TextBase + 0x2020, Rsp = top + 0x80, Rbp = rbp, Err = 2 });
        }

        var text = new byte[0x3000];
        text[0] = 0x7f; text[1] = (byte)'E'; text[2] = (byte)'L'; text[3] = (byte)'F';
        text[0x2010 - 2] = 0x0f; text[0x2010 - 1] = 0x05; // syscall just before rip
        text[0x2020 - 2] = 0x0f; text[0x2020 - 1] = 0x05;

        return new CoreSpec
        {
            OsRelDate = osRelDate,
            Process = new ProcessSpec { Pid = 4242, Command = "mysqld", Arguments = arguments },
            Threads =
            [
                new Testing.Cores.ThreadSpec { Lwp = lwps[0], Name = "mysqld", Registers = registers[0], FsBase = tcbs[0], Kinfo = new ThreadKinfo { WaitMessage = "nanslp", WaitChannel = 0xfffff80001234000 } },
                new Testing.Cores.ThreadSpec { Lwp = lwps[1], Name = connectionName, Registers = registers[1], FsBase = tcbs[1], Kinfo = new ThreadKinfo { WaitMessage = "fifoor", WaitChannel = 0xfffff80001235000 } },
            ],
            Mappings =
            [
                MappingSpec.File(TextBase, 0x3000, executable, KveProt.ReadExec, contents: text) with { Dumped = true },
                MappingSpec.Anonymous(HeapBase, 0x4000, heap),
                MappingSpec.Anonymous(StackBase, 0x4000, stack),
                MappingSpec.File(0x800200000, 0x1000, "/libexec/ld-elf.so.1", KveProt.ReadExec) with { Dumped = false },
            ],
            OpenFiles =
            [
                new OpenFileSpec { Type = KfType.Vnode, Fd = KfFd.Text, Path = executable, VnodeType = VnodeType.VReg },
                new OpenFileSpec { Type = KfType.Vnode, Fd = KfFd.Cwd, Path = "/var/db/mysql", VnodeType = VnodeType.VDir },
                OpenFileSpec.Vnode(3, fifoPath, VnodeType.VFifo),
                new OpenFileSpec { Type = KfType.Socket, Fd = 4, SockDomain = 1, SockType = 1, Path = "/tmp/mysql.sock" },
            ],
            PsStrings = StackBase + 0x3000,
        };
    }

    private static void Le(byte[] b, int at, ulong v) => BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(at), v);

    /// <summary>The mysqld process image (spec §10) as a gcore core, with _thread_list as a hint.</summary>
    public static (byte[] Bytes, ProcessImage Image) Mysqld(Testing.Images.FreeBsdVersion? version = null, bool dumpAllMemory = false)
    {
        var image = MysqldProcessTemplate.Build(new MysqldScenarioOptions { Version = version ?? Testing.Images.FreeBsdVersion.V13_5 });
        return (CoreWriter.WriteToArray(ImageCores.ToCoreSpec(image, fifoPath: "/tmp/ghost.fifo", dumpAllMemory: dumpAllMemory)), image);
    }

    /// <summary>
    /// A sysroot folder (one per process, under the temp folder) holding the image's modules at
    /// their paths, plus traps for paths from a damaged core: a symbolic link loop, an absolute
    /// link out of the sysroot, a directory where a library is expected, and a file where a
    /// directory is expected.
    /// </summary>
    public static string HostileSysroot(ProcessImage? image)
    {
        string root = Path.Combine(Path.GetTempPath(), $"coresleuth-fuzz-sysroot-{Environment.ProcessId}-{(image is null ? "traps" : "image")}");
        if (Directory.Exists(root)) return root;
        Directory.CreateDirectory(Path.Combine(root, "lib"));
        Directory.CreateDirectory(Path.Combine(root, "usr", "local", "libexec"));
        if (image is null) Directory.CreateDirectory(Path.Combine(root, "libexec", "ld-elf.so.1"));
        foreach (var m in image?.Modules ?? [])
        {
            string path = Path.Combine(root, m.Path.TrimStart('/'));
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, m.Image.FileBytes);
        }
        TrySymlink(Path.Combine(root, "lib", "loop.so"), "loop.so");
        TrySymlink(Path.Combine(root, "lib", "out.so"), "/etc/passwd");
        TrySymlink(Path.Combine(root, "lib", "up"), "../../../../../../../../etc");
        File.WriteAllText(Path.Combine(root, "lib", "notadir"), "not an ELF file");
        if (image is null) TrySymlink(Path.Combine(root, "usr", "local", "libexec", "mysqld"), "mysqld");
        return root;
    }

    private static void TrySymlink(string path, string target)
    {
        try { File.CreateSymbolicLink(path, target); }
        catch (IOException) { } // already there
        catch (UnauthorizedAccessException) { }
    }

    /// <summary>Cores found on disk: the shared corpus (<c>../shared/corpus/cores</c>) and <c>samples/*.core</c> of the repository.</summary>
    public static IEnumerable<string> OnDisk()
    {
        if (RepositoryRoot() is not { } root) yield break;
        foreach (var dir in new[] { Path.GetFullPath(Path.Combine(root, "..", "shared", "corpus", "cores")), Path.Combine(root, "samples") })
        {
            if (!Directory.Exists(dir)) continue;
            foreach (var file in Directory.EnumerateFiles(dir, "*.core", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
                yield return file;
        }
    }

    /// <summary>The folder holding CoreSleuth.sln, found by walking up from the running assembly (or the current directory).</summary>
    public static string? RepositoryRoot()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "CoreSleuth.sln"))) return dir.FullName;
        return null;
    }

    /// <summary>All seeds with their weights: small cores are picked often, the big image less, corpus cores in between.</summary>
    public static List<SeedCore> All(bool includeImage = true)
    {
        var seeds = new List<SeedCore>();
        var none = new AnalysisOptions();
        foreach (var (name, bytes) in Synthetic()) seeds.Add(new SeedCore(name, bytes, none, weight: 12));
        var innodb = new AnalysisOptions
        {
            InnodbStatus = "---TRANSACTION 1792, ACTIVE 512 sec inserting\nMySQL thread id 12, OS thread handle 0x829e76000, query id 9 localhost root System lock\nLOAD DATA INFILE '/tmp/ghost.fifo' INTO TABLE t1\n",
            Handles = [0x829e76000, 0x801601000, 0x1],
        };
        var small = Synthetic().First();
        seeds.Add(new SeedCore(small.Name + "+sysroot", small.Bytes, none with { Sysroot = HostileSysroot(null) }, weight: 6));
        if (includeImage)
        {
            var (bytes, image) = Mysqld();
            var hints = image.ThreadListAddress is { } list ? new[] { (list, FieldKind.ListLink, "_thread_list") } : [];
            seeds.Add(new SeedCore("mysqld-13.5", bytes, innodb, weight: 5, hints));
            seeds.Add(new SeedCore("mysqld-13.5+sysroot", (byte[])bytes.Clone(), innodb with { Sysroot = HostileSysroot(image) }, weight: 4, hints));
            // Text dumped too: ELF headers, dynamic sections, symbols and .eh_frame come from the (damaged) core.
            var (withText, _) = Mysqld(dumpAllMemory: true);
            seeds.Add(new SeedCore("mysqld-13.5-text", withText, innodb, weight: 6, hints));
        }
        foreach (var file in OnDisk())
        {
            var bytes = File.ReadAllBytes(file);
            seeds.Add(new SeedCore(Path.GetFileName(file), bytes, none, weight: bytes.Length > 1 << 20 ? 3 : 6));
        }
        return seeds;
    }
}
