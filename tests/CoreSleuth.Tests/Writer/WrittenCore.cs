using CoreSleuth.Testing.Cores;

namespace CoreSleuth.Tests.Writer;

/// <summary>A core written to a temporary file, with readelf's view of it.</summary>
internal sealed class WrittenCore : IDisposable
{
    private readonly TempFile _file = new();
    private IReadOnlyList<ReadelfNote>? _notes;

    public WrittenCore(CoreSpec spec)
    {
        Spec = spec;
        CoreWriter.WriteFile(spec, _file.Path);
    }

    public WrittenCore(CoreSpec spec, IReadOnlyList<NoteSpec> notes)
    {
        Spec = spec;
        using var fs = File.Create(_file.Path);
        CoreWriter.Write(spec, notes, fs);
    }

    public CoreSpec Spec { get; }
    public string Path => _file.Path;
    public byte[] Bytes => File.ReadAllBytes(Path);

    public IReadOnlyList<ReadelfNote> Notes => _notes ??= ReadelfOutput.Notes(Path);

    public IReadOnlyList<ReadelfNote> NotesOfType(string typeName) => Notes.Where(n => n.TypeName == typeName).ToArray();

    public ReadelfNote Single(string typeName) => Assert.Single(NotesOfType(typeName));

    public void Dispose() => _file.Dispose();
}

/// <summary>Specs the writer tests share. Values are arbitrary but distinct so a misplaced field shows.</summary>
internal static class Scenarios
{
    public const ulong Page = 0x1000;

    /// <summary>Registers with a different, recognisable value in each of the 26 fields.</summary>
    public static Registers DistinctRegisters(int seed) => new()
    {
        R15 = Pattern(seed, 1), R14 = Pattern(seed, 2), R13 = Pattern(seed, 3), R12 = Pattern(seed, 4),
        R11 = Pattern(seed, 5), R10 = Pattern(seed, 6), R9 = Pattern(seed, 7), R8 = Pattern(seed, 8),
        Rdi = Pattern(seed, 9), Rsi = Pattern(seed, 10), Rbp = Pattern(seed, 11), Rbx = Pattern(seed, 12),
        Rdx = Pattern(seed, 13), Rcx = Pattern(seed, 14), Rax = Pattern(seed, 15),
        Trapno = 0x0c, Fs = 0x13, Gs = 0x1b, Err = 2, Es = 0x3b, Ds = 0x3b,
        Rip = 0x0000_0008_0123_4560UL + (ulong)seed, Cs = 0x43, Rflags = 0x10202, Rsp = 0x7fff_dfff_c000UL - (ulong)seed * 0x1000, Ss = 0x3b,
    };

    private static ulong Pattern(int seed, int reg) => 0x1100_0000_0000_0000UL * (ulong)(reg % 15 + 1) + (ulong)seed * 0x100 + (ulong)reg;

    public static ThreadSpec Thread(int lwp, string name, int seed) => new()
    {
        Lwp = lwp,
        Name = name,
        Registers = DistinctRegisters(seed),
        Fpu = new FpuState { Xmm = [FpuState.Xmm128(BitConverter.DoubleToUInt64Bits(2.0 * seed)), FpuState.Xmm128(0x1122334455667788, 0x99aabbccddeeff00)] },
        FsBase = 0x8_0010_0000UL + (ulong)seed * 0x1000,
    };

    public static IReadOnlyList<MappingSpec> SmallMap() =>
    [
        MappingSpec.File(0x200000, 2 * Page, "/usr/local/libexec/mysqld", KveProt.Read) with { Flags = KveFlags.NoCoreDump },
        MappingSpec.File(0x202000, 3 * Page, "/usr/local/libexec/mysqld", KveProt.ReadExec, 0x2000) with { Flags = KveFlags.NoCoreDump },
        MappingSpec.File(0x205000, Page, "/usr/local/libexec/mysqld", KveProt.Read, 0x5000),
        MappingSpec.File(0x206000, Page, "/usr/local/libexec/mysqld", KveProt.ReadWrite, 0x6000),
        MappingSpec.Anonymous(0x8_0000_0000, 4 * Page, "heap bytes"u8.ToArray()),
        MappingSpec.Anonymous(0x7fff_dffd_f000, 0x20000) with { Flags = KveFlags.GrowsDown },
    ];

    public static CoreSpec TwoThreads(CoreProducer producer, int osRelDate) => new()
    {
        Producer = producer,
        OsRelDate = osRelDate,
        Process = new ProcessSpec { Pid = 4242, Ppid = 1, Command = "mysqld", Arguments = ["/usr/local/libexec/mysqld", "--user=mysql"] },
        Threads = [Thread(100100, "mysqld", 1), Thread(100101, "connection", 2)],
        Mappings = SmallMap(),
        OpenFiles =
        [
            OpenFileSpec.Vnode(KfFd.Text, "/usr/local/libexec/mysqld") with { Offset = -1 },
            OpenFileSpec.Vnode(KfFd.Cwd, "/var/db/mysql", VnodeType.VDir) with { Offset = -1 },
            OpenFileSpec.Vnode(0, "/dev/null", VnodeType.VChr),
            OpenFileSpec.Vnode(3, "/var/db/mysql/ibdata1", flags: KfFlags.Read | KfFlags.Write, offset: 0x10000),
        ],
    };
}
