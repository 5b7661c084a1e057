using CoreSleuth.Elf;
using CoreSleuth.Memory;

namespace CoreSleuth.Analysis.Modules;

/// <summary>
/// An ELF image seen at its own link-time virtual addresses, wherever its bytes come from:
/// the core's memory (shifted by the load bias) or the file on disk (through its PT_LOADs).
/// Parsing of dynamic sections and symbols is written once against this view.
/// </summary>
public interface IImageView
{
    /// <summary>Copies the available bytes at link-time address <paramref name="address"/>; returns how many.</summary>
    int Read(ulong address, Span<byte> destination);

    /// <summary>Where the bytes come from, for messages ("core memory", "/sysroot/lib/libthr.so.3").</summary>
    string Origin { get; }
}

public static class ImageViewExtensions
{
    private const int FirstChunk = 64 * 1024;

    /// <summary>
    /// The bytes readable in a row at <paramref name="address"/>, at most <paramref name="maxLength"/>.
    /// The buffer grows with what is actually read, not with what a size field of the image claims:
    /// a damaged p_memsz or DT_STRSZ cannot make the reader allocate more than the core or file holds.
    /// </summary>
    public static byte[] ReadAvailable(this IImageView view, ulong address, int maxLength)
    {
        var buffer = new byte[Math.Clamp(maxLength, 0, FirstChunk)];
        int length = 0;
        while (true)
        {
            length += view.Read(address + (ulong)length, buffer.AsSpan(length));
            if (length < buffer.Length || buffer.Length >= maxLength) break;
            Array.Resize(ref buffer, (int)Math.Min(2L * buffer.Length, maxLength));
        }
        return length == buffer.Length ? buffer : buffer[..length];
    }
}

/// <summary>An image's bytes in the core: link-time address + bias = process address.</summary>
public sealed class CoreImageView(AddressSpace memory, ulong bias) : IImageView
{
    public int Read(ulong address, Span<byte> destination) => memory.Read(address + bias, destination);
    public string Origin => "core memory";
}

/// <summary>An image's bytes in its file: link-time address → file offset through the file's PT_LOADs.</summary>
public sealed class FileImageView(ElfFile file) : IImageView
{
    private readonly ProgramHeader[] loads = file.ProgramHeaders.Where(p => p.IsLoad).OrderBy(p => p.VirtualAddress).ToArray();

    public ElfFile File => file;
    public string Origin => file.Source.Name;

    public int Read(ulong address, Span<byte> destination)
    {
        int done = 0;
        while (done < destination.Length)
        {
            ulong at = address + (ulong)done;
            var seg = Array.Find(loads, p => at >= p.VirtualAddress && at < p.VirtualAddress + p.FileSize);
            if (seg is null) break;
            ulong delta = at - seg.VirtualAddress;
            int want = (int)Math.Min((ulong)(destination.Length - done), seg.FileSize - delta);
            var span = file.Source.Slice((long)(seg.Offset + delta), want);
            if (span.IsEmpty) break;
            span.CopyTo(destination[done..]);
            done += span.Length;
        }
        return done;
    }
}
