using System.Buffers;
using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;

namespace CoreSleuth.Elf;

/// <summary>
/// Random access to the bytes of a file without reading it whole: cores can be tens of GB.
/// Every access is bounds-checked; asking for bytes past the end gives fewer bytes, never an
/// exception.
/// </summary>
public abstract class ByteSource : IDisposable
{
    public abstract long Length { get; }

    /// <summary>A name for messages (the file path).</summary>
    public abstract string Name { get; }

    /// <summary>
    /// The bytes in [offset, offset+length) that exist: shorter than <paramref name="length"/>
    /// when the range runs past the end, empty when it starts there or beyond.
    /// </summary>
    public abstract ReadOnlySpan<byte> Slice(long offset, int length);

    /// <summary>Exactly <paramref name="length"/> bytes or a <see cref="CoreFormatException"/> saying what was cut short.</summary>
    public ReadOnlySpan<byte> Require(long offset, int length, string what)
    {
        var span = Slice(offset, length);
        if (span.Length != length)
            throw new CoreFormatException(offset,
                $"{what} needs {length} bytes but the file ends after {Math.Max(0, Length - offset)} (file size {Length})");
        return span;
    }

    /// <summary>
    /// Copies the bytes at <paramref name="offset"/> into <paramref name="destination"/>; returns how
    /// many exist. A file is read with a system call rather than through the memory map, so that a
    /// scan of gigabytes does not leave them in the process's resident set.
    /// </summary>
    public virtual int Read(long offset, Span<byte> destination)
    {
        var span = Slice(offset, destination.Length);
        span.CopyTo(destination);
        return span.Length;
    }

    /// <summary>
    /// The bytes in [offset, offset+length) that exist, as memory that parsed structures may keep
    /// (note descriptors). A mapped file hands out its mapping, not a copy: the notes of a thousand
    /// threads are megabytes. Reading such memory after <see cref="Dispose"/> throws.
    /// </summary>
    public virtual ReadOnlyMemory<byte> Memory(long offset, int length) => Slice(offset, length).ToArray();

    /// <summary>
    /// Says that [offset, offset+length) has been read and is not needed soon: a mapped file's
    /// pages there leave the process's resident set (they stay in the page cache, and come back
    /// when read again). Nothing for sources held in memory.
    /// </summary>
    public virtual void Release(long offset, long length) { }

    /// <summary>
    /// Says that [offset, offset+length) is about to be read whole and kept as <see cref="Memory"/>:
    /// a mapped file reads it into memory of its own (see <see cref="MappedFileSource"/>), or at
    /// least maps its pages at once rather than by a page fault every few pages. Nothing for
    /// sources held in memory. <paramref name="along"/>, if given, is told of the bytes as they come
    /// in, when they are read in parts (it may never be: then they are all there on return).
    /// </summary>
    public virtual void WillRead(long offset, long length, IReadAlong? along = null) { }

    /// <summary>
    /// Goes through a range's bytes as <see cref="WillRead"/> reads them in, on the thread that read
    /// them, while they are still in that core's cache: walked once all is read, 32 MB of notes come
    /// back from memory a cache miss at a time.
    /// </summary>
    public interface IReadAlong
    {
        /// <summary>
        /// [<paramref name="partStart"/>, <paramref name="readTo"/>) of <paramref name="range"/> (the
        /// whole range, from its first byte) is read, and more of that part may follow. The part from
        /// 0 is read on the thread that called WillRead; a part from elsewhere on another thread, at
        /// the same time. No other bytes of <paramref name="range"/> may be looked at.
        /// </summary>
        void Arrived(ReadOnlySpan<byte> range, int partStart, int readTo);

        /// <summary>The read came up short (the file shrank): what <see cref="Arrived"/> told is void, and the range will be served another way.</summary>
        void Abandoned();
    }

    /// <summary>The bytes <see cref="WillRead"/> read into memory of the source's own (tests tell the copied path from the mapped one by it).</summary>
    internal virtual long CopiedBytes => 0;

    public virtual void Dispose() => GC.SuppressFinalize(this);

    /// <summary>
    /// Memory-maps the file at <paramref name="path"/>. A path whose size is 0 is never opened:
    /// FIFOs, sockets and character devices report size 0, and opening a FIFO for reading would
    /// block until a writer came.
    /// </summary>
    public static ByteSource OpenFile(string path) => OpenFile(path, path);

    /// <summary>As <see cref="OpenFile(string)"/>, with <paramref name="name"/> as the source's name (a compressed core's decompressed copy is named after the file the user gave).</summary>
    public static ByteSource OpenFile(string path, string name)
    {
        var info = new FileInfo(path);
        if (info.Exists && info.Length == 0) return new ArraySource([], name);
        return new MappedFileSource(path, name);
    }

    public static ByteSource FromBytes(byte[] bytes, string name = "<memory>") => new ArraySource(bytes, name);

    private sealed class ArraySource(byte[] bytes, string name) : ByteSource
    {
        public override long Length => bytes.Length;
        public override string Name => name;

        public override ReadOnlySpan<byte> Slice(long offset, int length)
        {
            if (offset < 0 || length < 0 || offset >= bytes.Length) return [];
            return bytes.AsSpan((int)offset, (int)Math.Min(length, bytes.Length - offset));
        }

        public override ReadOnlyMemory<byte> Memory(long offset, int length)
        {
            if (offset < 0 || length < 0 || offset >= bytes.Length) return ReadOnlyMemory<byte>.Empty;
            return bytes.AsMemory((int)offset, (int)Math.Min(length, bytes.Length - offset));
        }
    }

    /// <summary>
    /// A read-only memory map of the whole file; the OS pages in only what is touched. A range said
    /// to be read whole (<see cref="WillRead"/>: the notes, 32 MB for 10,000 threads) is read into
    /// memory of its own, kept while the source is open: the first touch of each mapped page costs
    /// a fault whether the pages were mapped in one call or not, and on a virtual machine whose page
    /// tables the hypervisor shadows, reading the notes through the map took three times as long as
    /// one read() into transparent huge pages (docs/performance.md).
    /// </summary>
    private sealed unsafe class MappedFileSource : ByteSource
    {
        /// <summary>Ranges up to this size are read in (the notes are at most <see cref="ElfFile.MaxNoteBytes"/>); larger ones stay mapped.</summary>
        private const long MaxLoad = ElfFile.MaxNoteBytes;

        /// <summary>Below this, a range is a few pages and mapping them costs nothing worth a copy.</summary>
        private const long MinLoad = 1L << 20;

        private const nuint HugePage = MemoryAdvice.HugePageSize;

        private readonly List<MappedRange> loaded = [];
        private readonly MemoryMappedFile? map;
        private readonly MemoryMappedViewAccessor? view;
        private readonly byte* pointer;
        private readonly FileStream stream;
        // Taken once: FileStream.SafeFileHandle seeks the file (lseek) on every access, a system
        // call per read for nothing, since reads here say their offset (pread).
        private readonly Microsoft.Win32.SafeHandles.SafeFileHandle handle;
        private bool disposed;

        public MappedFileSource(string path, string name)
        {
            Name = name;
            // Kept open beside the map: scans read through it (Read) rather than through the map.
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0);
            handle = stream.SafeFileHandle;
            try
            {
                Length = stream.Length;
                if (Length == 0) return; // an empty file cannot be mapped; every read is simply empty
                map = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: true);
                view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
                byte* p = null;
                view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
                pointer = p + view.PointerOffset;
            }
            catch
            {
                view?.Dispose();
                map?.Dispose();
                stream.Dispose();
                throw;
            }
        }

        public override long Length { get; }
        public override string Name { get; }

        public override ReadOnlySpan<byte> Slice(long offset, int length)
        {
            if (offset < 0 || length < 0 || offset >= Length) return [];
            return new ReadOnlySpan<byte>(pointer + offset, (int)Math.Min(length, Length - offset));
        }

        public override ReadOnlyMemory<byte> Memory(long offset, int length)
        {
            if (offset < 0 || length < 0 || offset >= Length) return ReadOnlyMemory<byte>.Empty;
            length = (int)Math.Min(length, Length - offset);
            foreach (var range in loaded)
                if (offset >= range.Offset && offset + length <= range.Offset + range.Length)
                    return range.Memory.Slice((int)(offset - range.Offset), length);
            return new MappedRange(this, offset, length).Memory;
        }

        public override int Read(long offset, Span<byte> destination)
        {
            if (offset < 0 || offset >= Length) return 0;
            destination = destination[..(int)Math.Min(destination.Length, Length - offset)];
            int done = 0;
            while (done < destination.Length)
            {
                int n = RandomAccess.Read(handle, destination[done..], offset + done);
                if (n <= 0) break; // the file shrank under us
                done += n;
            }
            return done;
        }

        public override void WillRead(long offset, long length, IReadAlong? along = null)
        {
            if (offset < 0 || offset >= Length) return;
            length = Math.Min(length, Length - offset);
            if (length < MinLoad || length > MaxLoad || !ReadsIntoHugePages || !Load(offset, (int)length, along))
                AdvisePages(offset, length, MemoryAdvice.PopulateRead);
        }

        /// <summary>
        /// Reads [offset, offset+length) into memory of its own, advised into huge pages; false when
        /// that memory could not be had or the file came up short (then the map serves the range).
        /// </summary>
        private bool Load(long offset, int length, IReadAlong? along)
        {
            if (disposed) return false;
            nuint size = ((nuint)length + HugePage - 1) & ~(HugePage - 1);
            byte* buffer;
            try { buffer = (byte*)NativeMemory.AlignedAlloc(size, HugePage); }
            catch (OutOfMemoryException) { return false; }
            MemoryAdvice.Advise((ulong)buffer, size, MemoryAdvice.HugePage);
            if (ReadInHalves(offset, buffer, length, along) != length)
            {
                along?.Abandoned();
                NativeMemory.AlignedFree(buffer);
                return false;
            }
            loaded.Add(new MappedRange(this, offset, length) { Copy = buffer });
            return true;
        }

        /// <summary>
        /// Reads [offset, offset+length) into <paramref name="buffer"/>; from <see cref="SplitLoad"/>
        /// bytes on, the second half (from a huge page boundary, so that each thread faults in and
        /// the kernel zeroes its own pages) on another thread: the copy out of the page cache and
        /// the zeroing were most of reading 32 MB of notes, and the other core is idle this early.
        /// </summary>
        private int ReadInHalves(long offset, byte* buffer, int length, IReadAlong? along)
        {
            int half = (int)(((nuint)length / 2 + HugePage - 1) & ~(HugePage - 1));
            if (length < SplitLoad || Environment.ProcessorCount < 2 || half >= length)
                return ReadPart(offset, buffer, length, 0, length, along);
            nint range = (nint)buffer;
            var other = Task.Run(() => ReadPart(offset, (byte*)range, length, half, length, along));
            int first = 0, rest;
            // The other thread writes into the buffer: it has finished before the buffer can be freed.
            try { first = ReadPart(offset, buffer, length, 0, half, along); }
            finally { rest = other.GetAwaiter().GetResult(); }
            return first == half ? first + rest : first;
        }

        /// <summary>
        /// Reads [from, to) of the range at <paramref name="offset"/> into <paramref name="buffer"/>;
        /// with <paramref name="along"/>, in <see cref="ReadAlongPart"/> steps, telling it after each.
        /// Returns how many bytes were read.
        /// </summary>
        private int ReadPart(long offset, byte* buffer, int length, int from, int to, IReadAlong? along)
        {
            if (along is null) return Read(offset + from, new Span<byte>(buffer + from, to - from));
            int at = from;
            while (at < to)
            {
                int step = Math.Min(ReadAlongPart, to - at);
                int n = Read(offset + at, new Span<byte>(buffer + at, step));
                at += n;
                if (n < step) break;
                along.Arrived(new ReadOnlySpan<byte>(buffer, length), from, at);
            }
            return at - from;
        }

        /// <summary>Bytes read at a time for an <see cref="IReadAlong"/>: well inside a core's L2 cache, and few system calls (32 MB in 128).</summary>
        private const int ReadAlongPart = 256 << 10;

        /// <summary>Ranges from this size on are read by two threads (<see cref="ReadInHalves"/>): the notes of about 600 threads.</summary>
        private const int SplitLoad = 2 << 20;

        /// <summary>Gives the map's pages of the range back; a range read into memory of its own never touched them.</summary>
        public override void Release(long offset, long length)
        {
            if (offset < 0 || offset >= Length || length <= 0) return;
            long end = offset + Math.Min(length, Length - offset);
            if (!loaded.Any(r => r.Offset <= offset && r.Offset + r.Length >= end)) AdvisePages(offset, length, MemoryAdvice.DontNeed);
        }

        internal override long CopiedBytes => loaded.Sum(r => (long)r.Length);

        /// <summary>
        /// Whether fresh memory comes in transparent huge pages when advised (Linux, THP "always" or
        /// "madvise"): in 4 KiB pages, a copy faults page by page into memory the kernel must also
        /// zero, dearer than mapping the file's pages.
        /// </summary>
        private static bool ReadsIntoHugePages => readsIntoHugePages ??= TransparentHugePages();

        private static bool? readsIntoHugePages;

        private static bool TransparentHugePages()
        {
            if (!OperatingSystem.IsLinux()) return false;
            try
            {
                string mode = File.ReadAllText("/sys/kernel/mm/transparent_hugepage/enabled");
                return mode.Contains("[always]", StringComparison.Ordinal) || mode.Contains("[madvise]", StringComparison.Ordinal);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { return false; }
        }

        /// <summary>
        /// <paramref name="advice"/> for the whole pages around [offset, offset+length) of the map:
        /// a page that also holds other bytes is read back from the page cache if needed.
        /// </summary>
        private void AdvisePages(long offset, long length, int advice)
        {
            if (disposed || offset < 0 || length <= 0 || offset >= Length) return;
            long page = Environment.SystemPageSize;
            long end = Math.Min(Length, offset + Math.Min(length, Length));
            ulong first = (ulong)(pointer + offset) & ~(ulong)(page - 1);
            ulong last = ((ulong)(pointer + end) + (ulong)page - 1) & ~(ulong)(page - 1);
            MemoryAdvice.Advise(first, last - first, advice);
        }

        public override void Dispose()
        {
            if (disposed) return;
            disposed = true;
            foreach (var range in loaded)
                NativeMemory.AlignedFree(range.Copy);
            if (view is not null)
            {
                view.SafeMemoryMappedViewHandle.ReleasePointer();
                view.Dispose();
            }
            map?.Dispose();
            stream.Dispose();
            base.Dispose();
        }

        /// <summary>
        /// A range of the file as <see cref="Memory{T}"/>: its loaded copy while there is one, else the
        /// mapping. Checks on every access that the source is still open.
        /// </summary>
        private sealed class MappedRange(MappedFileSource source, long offset, int length) : MemoryManager<byte>
        {
            public long Offset => offset;
            public int Length => length;

            /// <summary>The copy read by <see cref="Load"/>, freed with the source; null for a range of the map.</summary>
            public byte* Copy { get; init; }

            private byte* Start => Copy is not null ? Copy : source.pointer + offset;

            public override Span<byte> GetSpan()
            {
                ObjectDisposedException.ThrowIf(source.disposed, source);
                return new Span<byte>(Start, length);
            }

            public override MemoryHandle Pin(int elementIndex = 0)
            {
                ObjectDisposedException.ThrowIf(source.disposed, source);
                if ((uint)elementIndex > (uint)length) throw new ArgumentOutOfRangeException(nameof(elementIndex));
                return new MemoryHandle(Start + elementIndex);
            }

            public override void Unpin() { }

            protected override void Dispose(bool disposing) { }
        }
    }
}
