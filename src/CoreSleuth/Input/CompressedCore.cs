using System.Buffers.Binary;
using System.IO.Compression;
using CoreSleuth.Diagnostics;
using SharpCompress.Compressors.Xz;
using ZstdSharp;

namespace CoreSleuth.Input;

/// <summary>How a core file is compressed, told by its first bytes (never by its name).</summary>
public enum CoreCompression
{
    None,
    /// <summary>gzip (RFC 1952): 1f 8b. FreeBSD's kern.compress_user_cores writes .gz.</summary>
    Gzip,
    /// <summary>Zstandard (RFC 8878): 28 b5 2f fd. FreeBSD's kern.compress_user_cores writes .zst.</summary>
    Zstd,
    /// <summary>xz: fd 37 7a 58 5a 00.</summary>
    Xz,
}

/// <summary>The reason a compressed core could not be made plain: a corrupt or truncated stream, or too little space.</summary>
public sealed class CompressedCoreException(string message, Exception? inner = null) : IOException(message, inner);

/// <summary>
/// Makes a compressed core readable at random: decompresses it once into a file in a private
/// temporary folder (created for it under the system's temporary folder, TMPDIR on Unix), with
/// all-zero blocks left as holes. The size is bounded by the free space of that folder: checked up
/// front against the size the stream announces (the zstd frame content size; gzip's ISIZE, the
/// last member's size mod 2^32, is a lower bound only, so it can refuse but never clear), and
/// checked again as the bytes are written. The folder is one of <see cref="TemporaryFolders"/>.
/// </summary>
public static class CompressedCore
{
    /// <summary>Blocks of this size that are all zero become holes.</summary>
    private const int Block = 4096;

    /// <summary>Free space is looked at again after this many bytes are written.</summary>
    private const long CheckEvery = 64L << 20;

    /// <summary>Writing stops when the temporary folder's free space falls below this.</summary>
    private const long Reserve = 32L << 20;

    /// <summary>The compression of the file at <paramref name="path"/> by its magic bytes; <see cref="CoreCompression.None"/> for anything else, or a file shorter than a magic.</summary>
    public static CoreCompression Detect(string path)
    {
        var info = new FileInfo(path);
        // Size 0 is also what FIFOs and devices report: never opened here (a FIFO would block).
        if (!info.Exists || info.Length < 2 || (info.Attributes & FileAttributes.Directory) != 0) return CoreCompression.None;
        Span<byte> head = stackalloc byte[6];
        int n;
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0))
            n = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        return Detect(head[..n]);
    }

    /// <summary>The compression whose magic starts <paramref name="head"/>.</summary>
    public static CoreCompression Detect(ReadOnlySpan<byte> head) =>
        head.StartsWith((ReadOnlySpan<byte>)[0x1f, 0x8b]) ? CoreCompression.Gzip
        : head.StartsWith((ReadOnlySpan<byte>)[0x28, 0xb5, 0x2f, 0xfd]) ? CoreCompression.Zstd
        : head.StartsWith((ReadOnlySpan<byte>)[0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]) ? CoreCompression.Xz
        : CoreCompression.None;

    /// <summary>
    /// Decompresses <paramref name="path"/> into a new private temporary folder and opens the
    /// plain file as a source named <paramref name="path"/>. The file is deleted as soon as it is
    /// open (the open handle and the mapping keep its bytes), else when the source is disposed;
    /// on any failure nothing is left behind.
    /// </summary>
    /// <param name="progress">Told the compressed bytes read so far of the file's length, about once per MiB decompressed.</param>
    /// <exception cref="CompressedCoreException">Corrupt or truncated stream, or not enough free space.</exception>
    public static Elf.ByteSource Open(string path, CoreCompression compression, IProgress<WorkProgress>? progress = null)
    {
        string folder = TemporaryFolders.Create("coresleuth-");
        try
        {
            string plain = Path.Combine(folder, "core");
            Decompress(path, compression, plain, folder, progress);
            var source = Elf.ByteSource.OpenFile(plain, path);
            if (Delete(folder)) return source;
            return new FolderOwningSource(source, folder);
        }
        catch
        {
            Delete(folder);
            throw;
        }
    }

    private static string Name(CoreCompression c) => c switch { CoreCompression.Gzip => "gzip", CoreCompression.Zstd => "zstd", _ => "xz" };

    private static void Decompress(string path, CoreCompression compression, string plain, string folder, IProgress<WorkProgress>? progress)
    {
        using var input = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 1 << 16);
        long free = FreeSpace(folder);
        string mib(long bytes) => $"{bytes >> 20} MiB";
        if (AnnouncedSize(input, compression) is { } announced && announced > free)
            throw new CompressedCoreException($"the {Name(compression)} stream announces {announced} bytes ({mib(announced)}) decompressed, " +
                                              $"more than the {mib(free)} free in the temporary folder {Path.GetDirectoryName(folder)}; set TMPDIR to a folder with more space");
        input.Position = 0;

        using Stream decoder = compression switch
        {
            CoreCompression.Gzip => new GZipStream(input, CompressionMode.Decompress, leaveOpen: true),
            CoreCompression.Zstd => new DecompressionStream(input, leaveOpen: true, checkEndOfStream: true),
            _ => new XZStream(input),
        };
        using var output = new FileStream(plain, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0);
        byte[] buffer = new byte[1 << 20];
        long total = 0, written = 0, nextCheck = CheckEvery;
        // How far through the compressed file the decoder has read: the one total known up front.
        string step = "decompressing " + Name(compression);
        long length = input.Length, reported = 0;
        void Report(long done)
        {
            // The decoder reads ahead and may seek: what is reported never goes back.
            reported = Math.Max(reported, Math.Min(done, length));
            progress?.Report(new WorkProgress(step, reported, length));
        }

        // Only the decoder's errors mean a bad stream; the output's (a full disk) are said as they are.
        int Decode(int count)
        {
            try { return decoder.ReadAtLeast(buffer.AsSpan(0, count), count, throwOnEndOfStream: false); }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                throw new CompressedCoreException($"corrupt or truncated {Name(compression)} stream after {total} bytes decompressed: {ex.Message.TrimEnd('.')}", ex);
            }
        }

        while (true)
        {
            int n = Decode(buffer.Length);
            if (n == 0) break;
            total += n;
            if (total > free)
                throw new CompressedCoreException($"decompressed, the core is larger than the {mib(free)} free in the temporary folder {Path.GetDirectoryName(folder)}; set TMPDIR to a folder with more space");
            written += WriteSparse(output, buffer.AsSpan(0, n));
            if (written >= nextCheck)
            {
                nextCheck = written + CheckEvery;
                long now = FreeSpace(folder);
                if (now < Reserve)
                    throw new CompressedCoreException($"the temporary folder {Path.GetDirectoryName(folder)} is running out of space ({mib(now)} free after {mib(total)} decompressed); set TMPDIR to a folder with more space");
            }
            Report(input.Position);
            if (n < buffer.Length) break;
        }
        if (Decode(1) != 0) throw new CompressedCoreException($"the {Name(compression)} stream did not end");
        if (total == 0) throw new CompressedCoreException($"the {Name(compression)} stream holds no data");
        // GZipStream ends a stream cut short without a word: the trailer's ISIZE (the size mod 2^32)
        // must match what came out. Bytes of a truncated stream match it by chance once in 2^32. A
        // file of several gzip members (not what gzip or the kernel write) is refused here too.
        if (compression == CoreCompression.Gzip && AnnouncedSize(input, compression) is { } isize && isize != (uint)total)
            throw new CompressedCoreException($"truncated gzip stream: it ended after {total} bytes decompressed, but its trailer (ISIZE) says {isize} bytes mod 2^32");
        output.SetLength(total);
        Report(length);
    }

    /// <summary>Writes <paramref name="data"/> at the stream's position, seeking over all-zero blocks; returns the bytes written.</summary>
    private static long WriteSparse(FileStream output, ReadOnlySpan<byte> data)
    {
        long written = 0;
        int start = 0;
        while (start < data.Length)
        {
            int end = start;
            bool zero = IsZero(data, start);
            while (end < data.Length && IsZero(data, end) == zero) end += Math.Min(Block, data.Length - end);
            if (zero) output.Seek(end - start, SeekOrigin.Current);
            else
            {
                output.Write(data[start..end]);
                written += end - start;
            }
            start = end;
        }
        return written;
    }

    private static bool IsZero(ReadOnlySpan<byte> data, int at) => data.Slice(at, Math.Min(Block, data.Length - at)).IndexOfAnyExcept((byte)0) < 0;

    /// <summary>
    /// The decompressed size the stream says up front, if any: zstd's frame content size (of the
    /// first frame: a lower bound when there are several), gzip's ISIZE (a lower bound: mod 2^32,
    /// of the last member). xz keeps sizes in an index this does not read: checked as it goes.
    /// </summary>
    private static long? AnnouncedSize(FileStream input, CoreCompression compression)
    {
        Span<byte> b = stackalloc byte[18];
        if (compression == CoreCompression.Gzip && input.Length >= 18)
        {
            input.Position = input.Length - 4;
            input.ReadExactly(b[..4]);
            return BinaryPrimitives.ReadUInt32LittleEndian(b);
        }
        if (compression != CoreCompression.Zstd) return null;
        input.Position = 0;
        int n = input.ReadAtLeast(b, b.Length, throwOnEndOfStream: false);
        if (n < 5) return null;
        byte fhd = b[4];
        int fcsFlag = fhd >> 6, dictFlag = fhd & 3;
        bool single = (fhd & 0x20) != 0;
        int at = 5 + (single ? 0 : 1) + dictFlag switch { 0 => 0, 1 => 1, 2 => 2, _ => 4 };
        int size = fcsFlag switch { 0 => single ? 1 : 0, 1 => 2, 2 => 4, _ => 8 };
        if (size == 0 || at + size > n) return null;
        var field = b.Slice(at, size);
        ulong value = size switch
        {
            1 => field[0],
            2 => BinaryPrimitives.ReadUInt16LittleEndian(field) + 256u,
            4 => BinaryPrimitives.ReadUInt32LittleEndian(field),
            _ => BinaryPrimitives.ReadUInt64LittleEndian(field),
        };
        return value > long.MaxValue ? long.MaxValue : (long)value;
    }

    private static long FreeSpace(string folder) => TemporaryFolders.FreeSpace(folder);

    private static bool Delete(string folder) => TemporaryFolders.Delete(folder);

    /// <summary>Where an open file cannot be deleted (Windows without delete sharing): deleted once the source is closed.</summary>
    private sealed class FolderOwningSource(Elf.ByteSource inner, string folder) : Elf.ByteSource
    {
        public override long Length => inner.Length;
        public override string Name => inner.Name;
        public override ReadOnlySpan<byte> Slice(long offset, int length) => inner.Slice(offset, length);
        public override int Read(long offset, Span<byte> destination) => inner.Read(offset, destination);
        public override ReadOnlyMemory<byte> Memory(long offset, int length) => inner.Memory(offset, length);
        public override void WillRead(long offset, long length, IReadAlong? along = null) => inner.WillRead(offset, length, along);
        public override void Release(long offset, long length) => inner.Release(offset, length);

        public override void Dispose()
        {
            inner.Dispose();
            Delete(folder);
            base.Dispose();
        }
    }
}
