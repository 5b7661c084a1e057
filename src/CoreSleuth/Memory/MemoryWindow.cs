using System.Buffers.Binary;

namespace CoreSleuth.Memory;

/// <summary>
/// Small reads of core memory served from a window of the file read with one system call: a walk
/// that reads a few words here and there (a stack, libthr's list of struct pthread) reads each
/// window once instead of touching the memory map page by page, whose first touch of each page was
/// a fault (for a thousand stacks about 600 of them, a fifth of a walk's time; docs/performance.md).
/// The bytes are the same as <see cref="AddressSpace.Read"/>'s: a read the window cannot hold
/// whole (across a segment's end) goes to the address space. One reader at a time.
/// </summary>
/// <param name="size">The window's bytes: a power of two, at least a page.</param>
/// <param name="upward">
/// Where a window starts: at the page of the address, for reads that go up from there (a stack
/// walk); else at the window-sized block around it, for reads on either side (a list of records).
/// </param>
public sealed class MemoryWindow(AddressSpace memory, int size, bool upward)
{
    private readonly byte[] window = new byte[size];
    private ulong windowStart;
    private int windowLength;

    public int Read(ulong address, Span<byte> destination)
    {
        if (destination.Length > window.Length / 2) return memory.Read(address, destination);
        if (!InWindow(address, destination.Length))
        {
            ulong start = address & ~(upward ? 4095UL : (ulong)window.Length - 1);
            windowStart = start;
            windowLength = memory.ReadWithoutMapping(start, window);
            if (!InWindow(address, destination.Length))
            {
                // A segment that starts inside the page or block, or a read that crosses into the next segment.
                windowStart = address;
                windowLength = memory.ReadWithoutMapping(address, window);
                if (!InWindow(address, destination.Length)) return memory.Read(address, destination);
            }
        }
        window.AsSpan((int)(address - windowStart), destination.Length).CopyTo(destination);
        return destination.Length;
    }

    public bool TryReadUInt64(ulong address, out ulong value)
    {
        Span<byte> b = stackalloc byte[8];
        bool ok = Read(address, b) == 8;
        value = ok ? BinaryPrimitives.ReadUInt64LittleEndian(b) : 0;
        return ok;
    }

    public bool TryReadUInt32(ulong address, out uint value)
    {
        Span<byte> b = stackalloc byte[4];
        bool ok = Read(address, b) == 4;
        value = ok ? BinaryPrimitives.ReadUInt32LittleEndian(b) : 0;
        return ok;
    }

    public bool TryReadPointer(ulong address, out ulong pointer) => TryReadUInt64(address, out pointer);

    private bool InWindow(ulong address, int length) =>
        address >= windowStart && address - windowStart <= (ulong)windowLength && (ulong)windowLength - (address - windowStart) >= (ulong)length;
}
