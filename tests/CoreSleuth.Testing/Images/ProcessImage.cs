using System.Buffers.Binary;
using System.Text;

namespace CoreSleuth.Testing.Images;

/// <summary>An ELF image mapped into the process. Runtime address = link address + <see cref="Bias"/>.</summary>
public sealed record LoadedModule(ElfImage Image, string Path, ulong LoadBase)
{
    public string FileName => Image.FileName;

    /// <summary>0 for the ET_EXEC executable, the load base for libraries.</summary>
    public ulong Bias => Image.Kind == ElfImageKind.Executable ? 0 : LoadBase;

    public ulong RuntimeAddress(ulong linkAddress) => linkAddress + Bias;

    public ulong SymbolAddress(string name) => RuntimeAddress(Image.SymbolAddress(name));

    /// <summary>Start of the text mapping (the ELF header).</summary>
    public ulong Start => RuntimeAddress(Image.LinkBase);

    /// <summary>End of the data segment in memory.</summary>
    public ulong End => RuntimeAddress(Image.DataSegment.End);

    public bool Contains(ulong runtimeAddress) => runtimeAddress >= Start && runtimeAddress < End;

    /// <summary>The function whose code contains this runtime address, or null.</summary>
    public AssembledFunction? FunctionAt(ulong runtimeAddress) => Image.FunctionAt(runtimeAddress - Bias);
}

/// <summary>One frame of a simulated thread stack, innermost first.</summary>
/// <param name="Pc">rip for the innermost frame, the return address for the others.</param>
/// <param name="Cfa">Canonical frame address: rsp before the call into this function.</param>
/// <param name="Rsp">rsp while this frame executes its call (innermost: at the syscall).</param>
/// <param name="CalleeSaved">rbx, rbp, r12–r15 while this frame executes (what an unwinder must recover).</param>
/// <param name="LocalsStart">Lowest address of the frame's locals (= <paramref name="Rsp"/>).</param>
public sealed record SimulatedFrame(
    LoadedModule Module,
    AssembledFunction Function,
    ulong Pc,
    ulong Cfa,
    ulong Rsp,
    IReadOnlyDictionary<CalleeSavedRegister, ulong> CalleeSaved,
    ulong LocalsStart,
    ulong LocalsEnd);

/// <summary>A live thread of the process image.</summary>
public sealed record ThreadImage(
    int Lwp,
    string Name,
    bool IsMainThread,
    Amd64Registers Registers,
    ThreadStopState StopState,
    int SyscallNumber,
    IReadOnlyList<ulong> SyscallArguments,
    ulong PthreadAddress,
    ulong TcbAddress,
    ulong StackStart,
    ulong StackEnd,
    IReadOnlyList<SimulatedFrame> Frames)
{
    /// <summary>For a thread stopped on a faulting load (<see cref="ThreadSpec.FaultBaseValue"/>): the address it read; null for a thread in a system call.</summary>
    public ulong? FaultAddress { get; init; }

    /// <summary>The intended chain, outermost first, as function names.</summary>
    public IReadOnlyList<string> ChainNames => [.. Frames.Reverse().Select(f => f.Function.Name)];
}

/// <summary>An exited thread's struct pthread (tid = 1).</summary>
public sealed record ExitedThreadImage(int FormerLwp, ulong PthreadAddress, ulong? TcbAddress, bool InThreadList);

/// <summary>
/// The memory and threads of a synthetic FreeBSD/amd64 process, ready to be written as a core:
/// regions in ascending address order with their bytes, one register set per thread, the
/// auxiliary vector and the ps_strings address.
/// </summary>
public sealed class ProcessImage
{
    internal ProcessImage(
        FreeBsdVersion version,
        string executablePath,
        IReadOnlyList<string> arguments,
        IReadOnlyList<string> environment,
        IReadOnlyList<MemoryRegion> regions,
        IReadOnlyList<LoadedModule> modules,
        IReadOnlyList<ThreadImage> threads,
        IReadOnlyList<ExitedThreadImage> exitedThreads,
        IReadOnlyList<AuxvEntry> auxv,
        IReadOnlyDictionary<string, ulong> labels,
        ulong? threadListAddress)
    {
        Version = version;
        ExecutablePath = executablePath;
        Arguments = arguments;
        Environment = environment;
        Regions = regions;
        Modules = modules;
        Threads = threads;
        ExitedThreads = exitedThreads;
        Auxv = auxv;
        Labels = labels;
        ThreadListAddress = threadListAddress;
    }

    public FreeBsdVersion Version { get; }

    public string ExecutablePath { get; }

    /// <summary>p_comm: the executable's file name.</summary>
    public string Command => System.IO.Path.GetFileName(ExecutablePath);

    public IReadOnlyList<string> Arguments { get; }

    public IReadOnlyList<string> Environment { get; }

    public IReadOnlyList<MemoryRegion> Regions { get; }

    /// <summary>Executable, rtld and libraries, in ascending address order.</summary>
    public IReadOnlyList<LoadedModule> Modules { get; }

    /// <summary>Live threads in creation (p_threads) order, the main thread first.</summary>
    public IReadOnlyList<ThreadImage> Threads { get; }

    public IReadOnlyList<ExitedThreadImage> ExitedThreads { get; }

    public IReadOnlyList<AuxvEntry> Auxv { get; }

    public ulong PsStringsAddress => Version.PsStringsAddress;

    public int OsRelDate => Version.OsRelDate;

    /// <summary>Addresses of labelled data (FrameData, placed heap data).</summary>
    public IReadOnlyDictionary<string, ulong> Labels { get; }

    /// <summary>Runtime address of libthr's _thread_list, when libthr is loaded.</summary>
    public ulong? ThreadListAddress { get; }

    public LoadedModule Module(string fileName) =>
        Modules.FirstOrDefault(m => m.FileName == fileName || m.Path == fileName)
        ?? throw new KeyNotFoundException($"no module {fileName}");

    /// <summary>Runtime address of a symbol: "name" (first module defining it, in address order) or "module!name".</summary>
    public ulong SymbolAddress(string name)
    {
        var bang = name.IndexOf('!', StringComparison.Ordinal);
        if (bang > 0)
        {
            return Module(name[..bang]).SymbolAddress(name[(bang + 1)..]);
        }

        foreach (var m in Modules)
        {
            if (m.Image.FindFunction(name) is not null || m.Image.FindDataObject(name) is not null)
            {
                return m.SymbolAddress(name);
            }
        }

        throw new KeyNotFoundException($"no module defines {name}");
    }

    /// <summary>The module and function containing a runtime address, or null.</summary>
    public (LoadedModule Module, AssembledFunction Function)? Symbolize(ulong address)
    {
        foreach (var m in Modules)
        {
            if (m.FunctionAt(address) is { } f)
            {
                return (m, f);
            }
        }

        return null;
    }

    public MemoryRegion? RegionAt(ulong address) => Regions.FirstOrDefault(r => r.Contains(address));

    /// <summary>Copies memory; false when any byte is outside the readable regions.</summary>
    public bool TryRead(ulong address, Span<byte> destination)
    {
        var done = 0;
        while (done < destination.Length)
        {
            var region = RegionAt(address + (ulong)done);
            if (region is null || region.Contents.Length == 0)
            {
                return false;
            }

            var offset = (int)(address + (ulong)done - region.Start);
            var count = Math.Min(destination.Length - done, region.Contents.Length - offset);
            region.Contents.Span.Slice(offset, count).CopyTo(destination[done..]);
            done += count;
        }

        return true;
    }

    public byte[] Read(ulong address, int count)
    {
        var bytes = new byte[count];
        if (!TryRead(address, bytes))
        {
            throw new ArgumentOutOfRangeException(nameof(address), $"0x{address:x}+{count} is not in readable memory");
        }

        return bytes;
    }

    public ulong ReadUInt64(ulong address) => BinaryPrimitives.ReadUInt64LittleEndian(Read(address, 8));

    public uint ReadUInt32(ulong address) => BinaryPrimitives.ReadUInt32LittleEndian(Read(address, 4));

    public string ReadCString(ulong address, int maxLength = 4096)
    {
        var bytes = new List<byte>();
        for (var i = 0; i < maxLength; i++)
        {
            var b = Read(address + (ulong)i, 1)[0];
            if (b == 0)
            {
                break;
            }

            bytes.Add(b);
        }

        return Encoding.UTF8.GetString([.. bytes]);
    }
}
