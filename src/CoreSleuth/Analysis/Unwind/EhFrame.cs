using System.Buffers.Binary;
using System.Collections.Concurrent;
using CoreSleuth.Analysis.Modules;
using CoreSleuth.Elf;

namespace CoreSleuth.Analysis.Unwind;

/// <summary>
/// The call-frame information of one image: <c>.eh_frame</c>, found through PT_GNU_EH_FRAME and
/// <c>.eh_frame_hdr</c> (never through section headers, which cores and stripped files lack),
/// read through an <see cref="IImageView"/> so the bytes may come from the core or from the file.
/// Lookups parse only the FDE they need. Hostile bytes give an error value, never an exception
/// or an unbounded loop: every length is checked against the section, every count against the
/// bytes that could hold it.
/// </summary>
public sealed class EhFrame
{
    /// <summary>p_type of the segment that holds <c>.eh_frame_hdr</c> (GNU extension).</summary>
    public const uint PT_GNU_EH_FRAME = 0x6474e550;

    /// <summary>Upper bound on how much of an image is taken as <c>.eh_frame</c> (libc's is ~200 KiB).</summary>
    public const int MaxSectionBytes = 64 << 20;

    private const int MaxAugmentation = 32;

    private readonly ReadOnlyMemory<byte> section;
    private readonly IImageView? view;
    private readonly EhBases bases;
    private readonly Dictionary<ulong, CfiResult<Cie>> cies = [];
    private readonly Lock gate = new();
    private (ulong Begin, ulong End, ulong Address)[]? scanIndex;
    private string? scanProblem;

    private EhFrame(ReadOnlyMemory<byte> section, ulong address, EhFrameHeader? header, IImageView? view, ulong textBase)
    {
        this.section = section;
        this.view = view;
        Address = address;
        Header = header;
        bases = new EhBases(textBase, header?.Address ?? 0, 0);
    }

    /// <summary>Link-time address of <c>.eh_frame</c>.</summary>
    public ulong Address { get; }

    /// <summary>Bytes taken as <c>.eh_frame</c> (up to its terminator or the end of its segment).</summary>
    public int Length => section.Length;

    /// <summary>The decoded <c>.eh_frame_hdr</c>, or null when the image has none (lookups then scan linearly).</summary>
    public EhFrameHeader? Header { get; }

    /// <summary>
    /// Finds <c>.eh_frame_hdr</c> through PT_GNU_EH_FRAME in <paramref name="programHeaders"/> and
    /// reads <c>.eh_frame</c> from <paramref name="view"/>. Null with a reason when the image has
    /// no usable CFI.
    /// </summary>
    public static EhFrame? Open(IImageView view, IReadOnlyList<ProgramHeader> programHeaders, out string? problem)
    {
        var hdrSegment = programHeaders.FirstOrDefault(p => p.Type == PT_GNU_EH_FRAME);
        if (hdrSegment is null) { problem = "the image has no PT_GNU_EH_FRAME segment"; return null; }
        ulong textBase = programHeaders.Where(p => p.IsLoad && p.Executable).Select(p => p.VirtualAddress).DefaultIfEmpty(0UL).Min();

        var hdrBytes = view.ReadAvailable(hdrSegment.VirtualAddress, (int)Math.Min(hdrSegment.MemorySize, (ulong)MaxSectionBytes));
        int hdrSize = hdrBytes.Length;
        if (hdrSize < 4)
        {
            problem = $".eh_frame_hdr at 0x{hdrSegment.VirtualAddress:x} is not readable from {view.Origin}";
            return null;
        }
        var header = ParseHeader(hdrBytes.AsMemory(0, hdrSize), hdrSegment.VirtualAddress, view, out problem);
        if (header is null) return null;

        // .eh_frame has no length of its own in the header: take the rest of its PT_LOAD's
        // file image; records end at the zero terminator anyway.
        var load = programHeaders.FirstOrDefault(p => p.IsLoad && header.EhFrameAddress >= p.VirtualAddress
                                                      && header.EhFrameAddress < p.VirtualAddress + p.FileSize);
        if (load is null)
        {
            problem = $".eh_frame_hdr points to 0x{header.EhFrameAddress:x}, which no PT_LOAD holds";
            return null;
        }
        var bytes = view.ReadAvailable(header.EhFrameAddress, (int)Math.Min(load.VirtualAddress + load.FileSize - header.EhFrameAddress, (ulong)MaxSectionBytes));
        int length = bytes.Length;
        if (length < 4)
        {
            problem = $".eh_frame at 0x{header.EhFrameAddress:x} is not readable from {view.Origin}";
            return null;
        }
        problem = null;
        return new EhFrame(bytes.AsMemory(0, length), header.EhFrameAddress, header, view, textBase);
    }

    /// <summary>
    /// CFI from raw bytes: <paramref name="ehFrame"/> at <paramref name="ehFrameAddress"/>, and
    /// optionally <c>.eh_frame_hdr</c> bytes at <paramref name="hdrAddress"/>. Used when sections
    /// are known by other means, and for tests. Indirect pointers are resolved through
    /// <paramref name="view"/> when given.
    /// </summary>
    public static EhFrame FromBytes(ReadOnlyMemory<byte> ehFrame, ulong ehFrameAddress, ReadOnlyMemory<byte> hdr = default,
        ulong hdrAddress = 0, IImageView? view = null, ulong textBase = 0)
    {
        EhFrameHeader? header = null;
        if (!hdr.IsEmpty)
        {
            header = ParseHeader(hdr, hdrAddress, view, out string? problem)
                     ?? new EhFrameHeader(hdrAddress, 0, 0, 0, 0, ehFrameAddress, [], problem);
            // The given .eh_frame wins over what a damaged header says.
            if (header.EhFrameAddress != ehFrameAddress) header = header with { EhFrameAddress = ehFrameAddress };
        }
        if (ehFrame.Length > MaxSectionBytes) ehFrame = ehFrame[..MaxSectionBytes];
        return new EhFrame(ehFrame, ehFrameAddress, header, view, textBase);
    }

    /// <summary>
    /// Decodes <c>.eh_frame_hdr</c>: u8 version (1), u8 eh_frame_ptr_enc, u8 fde_count_enc,
    /// u8 table_enc, encoded eh_frame_ptr, encoded fde_count, then fde_count pairs of
    /// (initial location, FDE address) in table_enc, sorted by initial location. datarel in
    /// the header is relative to the header itself. A table that cannot be binary-searched
    /// (variable-size encoding, unsorted, cut short) is dropped with <see cref="EhFrameHeader.TableProblem"/>.
    /// </summary>
    private static EhFrameHeader? ParseHeader(ReadOnlyMemory<byte> bytes, ulong address, IImageView? view, out string? problem)
    {
        try
        {
            var r = new CfiReader(bytes.Span, address);
            byte version = r.U8(), ptrEnc = r.U8(), countEnc = r.U8(), tableEnc = r.U8();
            if (version != 1) { problem = $".eh_frame_hdr at 0x{address:x} has version {version}, not 1"; return null; }
            var hdrBases = new EhBases(0, address, 0);
            ulong ehFrame = r.Pointer(ptrEnc, hdrBases, out bool indirect);
            if (indirect && !TryDeref(view, ehFrame, out ehFrame))
            {
                problem = $".eh_frame_hdr at 0x{address:x} points to .eh_frame indirectly through an unreadable pointer";
                return null;
            }
            problem = null;
            if (countEnc == EhPointerEncoding.Omit || tableEnc == EhPointerEncoding.Omit)
                return new EhFrameHeader(address, version, ptrEnc, countEnc, tableEnc, ehFrame, [], "the header has no search table");
            ulong count = r.Pointer(countEnc, hdrBases, out _);
            int size = EhPointerEncoding.FixedSize(tableEnc);
            if (size == 0 || (tableEnc & EhPointerEncoding.Indirect) != 0)
                return new EhFrameHeader(address, version, ptrEnc, countEnc, tableEnc, ehFrame, [],
                    $"table encoding 0x{tableEnc:x2} has no fixed size: no binary search");
            ulong room = (ulong)r.Remaining / (ulong)(2 * size);
            string? tableProblem = null;
            if (count > room)
            {
                tableProblem = $"the header announces {count} table entries but has room for {room}";
                count = room;
            }
            var table = new EhFrameTableEntry[count];
            for (ulong i = 0; i < count; i++)
            {
                ulong loc = r.Pointer(tableEnc, hdrBases, out _);
                ulong fde = r.Pointer(tableEnc, hdrBases, out _);
                table[i] = new EhFrameTableEntry(loc, fde);
                if (i > 0 && loc < table[i - 1].InitialLocation)
                    return new EhFrameHeader(address, version, ptrEnc, countEnc, tableEnc, ehFrame, [],
                        $"the search table is not sorted (entry {i}): no binary search");
            }
            return new EhFrameHeader(address, version, ptrEnc, countEnc, tableEnc, ehFrame, table, tableProblem);
        }
        catch (CfiFormatException e)
        {
            problem = $".eh_frame_hdr at 0x{address:x}: {e.Message}";
            return null;
        }
    }

    private static bool TryDeref(IImageView? view, ulong address, out ulong value)
    {
        Span<byte> b = stackalloc byte[8];
        value = 0;
        if (view is null || view.Read(address, b) != 8) return false;
        value = BinaryPrimitives.ReadUInt64LittleEndian(b);
        return true;
    }

    /// <summary>The FDE covering <paramref name="pc"/> (link-time address): binary search of the header table, else a linear scan.</summary>
    public CfiResult<Fde> FindFde(ulong pc)
    {
        if (Header is not { Table.Count: > 0 } header) return FindFdeByScan(pc);
        var table = header.Table;
        int lo = 0, hi = table.Count - 1, found = -1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            if (table[mid].InitialLocation <= pc) { found = mid; lo = mid + 1; }
            else hi = mid - 1;
        }
        if (found < 0) return CfiResult<Fde>.Failure($"no FDE covers 0x{pc:x} (below the first table entry)");
        string? last = null;
        // Zero-length FDEs can share an initial location with the real one: look back a little.
        for (int i = found; i >= 0 && i > found - 8; i--)
        {
            var fde = ParseFde(table[i].FdeAddress);
            if (fde.Value is { } f && f.Contains(pc)) return fde;
            last ??= fde.Error ?? $"no FDE covers 0x{pc:x} (nearest: {fde.Value})";
        }
        return CfiResult<Fde>.Failure(last!);
    }

    /// <summary>The first FDE in section order that covers <paramref name="pc"/>, found by walking every record.</summary>
    public CfiResult<Fde> FindFdeByScan(ulong pc)
    {
        var index = ScanIndex();
        int lo = 0, hi = index.Length - 1, found = -1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            if (index[mid].Begin <= pc) { found = mid; lo = mid + 1; }
            else hi = mid - 1;
        }
        // The index is sorted by begin; ranges may overlap in hostile data, so look back a little.
        for (int i = found; i >= 0 && i > found - 8; i--)
            if (pc >= index[i].Begin && pc < index[i].End) return ParseFde(index[i].Address);
        return CfiResult<Fde>.Failure(scanProblem is null
            ? $"no FDE covers 0x{pc:x}"
            : $"no FDE covers 0x{pc:x} (the scan of .eh_frame stopped early: {scanProblem})");
    }

    private (ulong Begin, ulong End, ulong Address)[] ScanIndex()
    {
        lock (gate)
        {
            if (scanIndex is not null) return scanIndex;
            var list = new List<(ulong, ulong, ulong)>();
            foreach (var e in Entries())
            {
                if (e.Fde is { } f) list.Add((f.PcBegin, f.PcEnd, f.Address));
                else if (e.Error is { } err) scanProblem ??= err;
            }
            // Stable order: by begin, then section order, so the first FDE in the section wins.
            scanIndex = list.Select((t, i) => (t, i)).OrderBy(x => x.t.Item1).ThenByDescending(x => x.i).Select(x => x.t).ToArray();
            return scanIndex;
        }
    }

    /// <summary>
    /// Every record of <c>.eh_frame</c> in order, up to the zero terminator or the end of the
    /// bytes. A record whose length is unusable ends the walk (with an error entry); a record
    /// that is merely malformed inside is reported and skipped.
    /// </summary>
    public IEnumerable<EhFrameEntry> Entries()
    {
        ulong offset = 0;
        // Each record takes at least 4 bytes, so the walk is bounded by the section's size.
        while (offset + 4 <= (ulong)section.Length)
        {
            ulong at = Address + offset;
            if (!TryRecordBounds(offset, out ulong next, out bool terminator, out bool isCie, out string? error))
            {
                yield return new EhFrameEntry(at, null, null, error);
                yield break;
            }
            if (terminator) yield break;
            if (isCie)
            {
                var cie = ParseCie(at);
                yield return new EhFrameEntry(at, cie.Value, null, cie.Error);
            }
            else
            {
                var fde = ParseFde(at);
                yield return new EhFrameEntry(at, null, fde.Value, fde.Error);
            }
            offset = next;
        }
    }

    /// <summary>Reads a record's length: 4 bytes, or 0xffffffff then 8 bytes (64-bit DWARF).</summary>
    private bool TryRecordBounds(ulong offset, out ulong next, out bool terminator, out bool isCie, out string? error)
    {
        var s = section.Span;
        next = 0; terminator = false; isCie = false; error = null;
        uint length32 = BinaryPrimitives.ReadUInt32LittleEndian(s[(int)offset..]);
        if (length32 == 0) { terminator = true; return true; }
        ulong header = 4, length = length32;
        if (length32 == 0xffffffff)
        {
            if (offset + 12 > (ulong)s.Length) { error = $"64-bit length at 0x{Address + offset:x} is cut short"; return false; }
            length = BinaryPrimitives.ReadUInt64LittleEndian(s[((int)offset + 4)..]);
            header = 12;
        }
        ulong idSize = header == 4 ? 4UL : 8UL;
        if (length < idSize || length > (ulong)s.Length - offset - header)
        {
            error = $"record at 0x{Address + offset:x} has length 0x{length:x}, beyond the {s.Length - (long)offset} bytes left in .eh_frame";
            return false;
        }
        next = offset + header + length;
        isCie = header == 4
            ? BinaryPrimitives.ReadUInt32LittleEndian(s[(int)(offset + header)..]) == 0
            : BinaryPrimitives.ReadUInt64LittleEndian(s[(int)(offset + header)..]) == 0;
        return true;
    }

    /// <summary>The record at link-time <paramref name="address"/>, sliced to its length: (body reader start, id, 64-bit).</summary>
    private ReadOnlyMemory<byte> Record(ulong address, out ulong bodyAddress, out ulong id, out bool dwarf64)
    {
        if (address < Address || address - Address >= (ulong)section.Length)
            throw new CfiFormatException($"0x{address:x} is outside .eh_frame [0x{Address:x}, 0x{Address + (ulong)section.Length:x})");
        ulong offset = address - Address;
        if (offset + 4 > (ulong)section.Length) throw new CfiFormatException($"record at 0x{address:x} is cut short");
        if (!TryRecordBounds(offset, out ulong next, out bool terminator, out _, out string? error))
            throw new CfiFormatException(error!);
        if (terminator) throw new CfiFormatException($"0x{address:x} is the terminator of .eh_frame, not a record");
        dwarf64 = BinaryPrimitives.ReadUInt32LittleEndian(section.Span[(int)offset..]) == 0xffffffff;
        int header = dwarf64 ? 12 : 4, idSize = dwarf64 ? 8 : 4;
        var body = section[((int)offset + header)..(int)next];
        id = dwarf64 ? BinaryPrimitives.ReadUInt64LittleEndian(body.Span) : BinaryPrimitives.ReadUInt32LittleEndian(body.Span);
        bodyAddress = address + (ulong)header;
        return body[idSize..];
    }

    /// <summary>Parses the CIE at link-time <paramref name="address"/> (cached).</summary>
    public CfiResult<Cie> ParseCie(ulong address)
    {
        lock (gate)
        {
            if (cies.TryGetValue(address, out var cached)) return cached;
        }
        CfiResult<Cie> result;
        try { result = CfiResult<Cie>.Success(ReadCie(address)); }
        catch (CfiFormatException e) { result = CfiResult<Cie>.Failure($"CIE at 0x{address:x}: {e.Message}"); }
        lock (gate) cies[address] = result;
        return result;
    }

    private Cie ReadCie(ulong address)
    {
        var body = Record(address, out ulong bodyAddress, out ulong id, out bool dwarf64);
        if (id != 0) throw new CfiFormatException("the record is an FDE, not a CIE");
        ulong start = bodyAddress + (dwarf64 ? 8UL : 4UL);
        var r = new CfiReader(body.Span, start);
        int version = r.U8();
        if (version is not (1 or 3 or 4)) throw new CfiFormatException($"unsupported CIE version {version}");
        string aug = r.CString(MaxAugmentation);
        // Old GCC ("eh"): a pointer-sized EH data word follows the augmentation string.
        if (aug.StartsWith("eh", StringComparison.Ordinal)) r.Take(8);
        if (version == 4)
        {
            byte addressSize = r.U8(), segmentSize = r.U8();
            if (addressSize != 8 || segmentSize != 0)
                throw new CfiFormatException($"address size {addressSize} / segment selector size {segmentSize} is not amd64's 8 / 0");
        }
        ulong codeAlign = r.Uleb();
        long dataAlign = r.Sleb();
        int raRegister = version == 1 ? r.U8() : r.UlebInt("return address register");

        byte fdeEnc = EhPointerEncoding.Absptr, lsdaEnc = EhPointerEncoding.Omit, persEnc = EhPointerEncoding.Omit;
        ulong? personality = null;
        bool persIndirect = false, signal = false;
        string letters = aug.StartsWith("eh", StringComparison.Ordinal) ? aug[2..] : aug;
        if (letters.StartsWith('z'))
        {
            int augLength = r.UlebInt("augmentation data length");
            if (augLength > r.Remaining) throw new CfiFormatException($"augmentation data of {augLength} bytes runs past the CIE");
            int augEnd = r.Position + augLength;
            foreach (char c in letters.AsSpan(1))
            {
                switch (c)
                {
                    case 'R': fdeEnc = r.U8(); break;
                    case 'L': lsdaEnc = r.U8(); break;
                    case 'P':
                        persEnc = r.U8();
                        personality = r.Pointer(persEnc, bases, out persIndirect);
                        break;
                    case 'S': signal = true; break;
                    case 'B' or 'G': break; // AArch64 markers without data
                    default: goto doneAugmentation; // unknown: the "z" length lets us skip the rest
                }
            }
        doneAugmentation:
            if (r.Position > augEnd) throw new CfiFormatException("augmentation data is longer than its declared length");
            r.Position = augEnd;
        }
        else if (letters.Length > 0)
        {
            throw new CfiFormatException($"augmentation \"{aug}\" without 'z': its data cannot be skipped");
        }
        if (EhPointerEncoding.FixedSize(fdeEnc) == 0 && (fdeEnc & 0x0f) is not (EhPointerEncoding.Uleb128 or EhPointerEncoding.Sleb128))
            throw new CfiFormatException($"FDE pointer encoding 0x{fdeEnc:x2} is unknown");
        var instructions = body[r.Position..];
        return new Cie(address, version, aug, codeAlign, dataAlign, raRegister, fdeEnc, lsdaEnc, persEnc, personality, persIndirect,
            signal, instructions, start + (ulong)r.Position);
    }

    /// <summary>Parses the FDE at link-time <paramref name="address"/> and the CIE it points to.</summary>
    public CfiResult<Fde> ParseFde(ulong address)
    {
        try { return CfiResult<Fde>.Success(ReadFde(address)); }
        catch (CfiFormatException e) { return CfiResult<Fde>.Failure($"FDE at 0x{address:x}: {e.Message}"); }
    }

    private Fde ReadFde(ulong address)
    {
        var body = Record(address, out ulong bodyAddress, out ulong id, out bool dwarf64);
        if (id == 0) throw new CfiFormatException("the record is a CIE, not an FDE");
        // The CIE pointer counts back from the CIE-pointer field itself.
        ulong cieAddress = unchecked(bodyAddress - id);
        if (id > bodyAddress || cieAddress < Address || cieAddress >= Address + (ulong)section.Length)
            throw new CfiFormatException($"its CIE pointer 0x{id:x} leads outside .eh_frame");
        var cieResult = ParseCie(cieAddress);
        if (cieResult.Value is not { } cie) throw new CfiFormatException(cieResult.Error!);

        ulong start = bodyAddress + (dwarf64 ? 8UL : 4UL);
        var r = new CfiReader(body.Span, start);
        ulong pcBegin = r.Pointer(cie.FdeEncoding, bases, out bool indirect);
        if (indirect && !TryDeref(view, pcBegin, out pcBegin))
            throw new CfiFormatException($"its initial location is stored indirectly at 0x{pcBegin:x}, which is unreadable");
        ulong range = r.Value(cie.FdeEncoding);
        ulong pcEnd = unchecked(pcBegin + range);
        if (pcEnd < pcBegin) throw new CfiFormatException($"its range 0x{pcBegin:x} + 0x{range:x} wraps around");
        ulong? lsda = null;
        if (cie.HasAugmentationData)
        {
            int augLength = r.UlebInt("augmentation data length");
            if (augLength > r.Remaining) throw new CfiFormatException($"augmentation data of {augLength} bytes runs past the FDE");
            int augEnd = r.Position + augLength;
            if (cie.LsdaEncoding != EhPointerEncoding.Omit && augLength > 0)
            {
                ulong l = r.Pointer(cie.LsdaEncoding, bases with { Function = pcBegin }, out bool lsdaIndirect);
                lsda = lsdaIndirect ? (TryDeref(view, l, out ulong d) ? d : null) : l;
                if (r.Position > augEnd) throw new CfiFormatException("the LSDA pointer runs past the augmentation data");
            }
            r.Position = augEnd;
        }
        return new Fde(address, cie, pcBegin, pcEnd, lsda, body[r.Position..], start + (ulong)r.Position);
    }

    /// <summary>Rows already computed: the threads of a process share most of their return addresses.</summary>
    /// <remarks>Read without a lock: stacks may be walked on two threads at once.</remarks>
    private readonly ConcurrentDictionary<ulong, CfiResult<CfiRow>> rows = new();
    private int cachedRows;

    private const int MaxCachedRows = 1 << 16;

    /// <summary>The CFI row in effect at link-time <paramref name="pc"/>.</summary>
    public CfiResult<CfiRow> FindRow(ulong pc)
    {
        if (rows.TryGetValue(pc, out var cached)) return cached;
        var fde = FindFde(pc);
        var row = fde.Value is { } f ? CfiInterpreter.RowAt(f, pc) : CfiResult<CfiRow>.Failure(fde.Error!);
        if (Volatile.Read(ref cachedRows) < MaxCachedRows && rows.TryAdd(pc, row)) Interlocked.Increment(ref cachedRows);
        return row;
    }
}
