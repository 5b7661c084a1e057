using System.Buffers.Binary;

namespace CoreSleuth.Tests.Hostile;

/// <summary>
/// Damages a core in place, structure-aware, and undoes the damage afterwards so that a
/// many-megabyte seed is never copied: sizes and counts get extremes and neighbouring struct
/// sizes, offsets point past the end or into other tables, pointers get cycles (a TCB whose
/// self-pointer names another TCB, a thread list whose next link names itself, a saved %rbp
/// naming its own slot), strings lose their terminators or gain escape sequences and invalid
/// UTF-8, and the file is cut at random points. Each change is described for the crash report.
/// </summary>
public sealed class CoreMutator(byte[] buffer, CoreFields map, Random random)
{
    private readonly List<(int Offset, byte[] Original)> journal = [];
    private readonly List<string> applied = [];

    /// <summary>What the last <see cref="Mutate"/> did, in order.</summary>
    public IReadOnlyList<string> Applied => applied;

    /// <summary>Values that break readers: zero, one, sign boundaries, all ones.</summary>
    private static readonly ulong[] Extremes =
    [
        0, 1, 2, 3, 4, 7, 8, 12, 16, 0x7f, 0x80, 0xff, 0x100, 0x3ff, 0x400, 0xfff, 0x1000, 0x7fff, 0x8000, 0xffff, 0x10000,
        0x7fff_ffff, 0x8000_0000, 0xffff_fffe, 0xffff_ffff, 0x1_0000_0000, 0x7fff_ffff_ffff_ffff, 0x8000_0000_0000_0000, ulong.MaxValue, ulong.MaxValue - 7,
    ];

    /// <summary>Sizes of FreeBSD amd64 structures (spec §3.9): a record of one kind claimed as another.</summary>
    private static readonly ulong[] StructSizes = [12, 16, 20, 24, 56, 64, 120, 136, 164, 176, 224, 368, 512, 832, 1088, 1160, 1392, 1392 - 1024, 1160 - 1024, 2048];

    /// <summary>Strings that must come out escaped: ANSI sequences, C0/C1 controls, bidi overrides, Markdown, HTML, invalid UTF-8.</summary>
    private static readonly byte[][] HostileStrings =
    [
        "\u001b[31mEVIL\u001b]0;title\a"u8.ToArray(),
        "\r\n\t\b\u007f"u8.ToArray(),
        "\u202egnp.exe"u8.ToArray(),
        "a|b`c<script>alert(1)</script>"u8.ToArray(),
        "**[x](javascript:alert(1))**"u8.ToArray(),
        "\u009b31m\u0085\u2028\u2029\u200b\ufeff"u8.ToArray(),
        [0xff, 0xfe, 0xc0, 0xaf, 0xed, 0xa0, 0x80, 0xf4, 0x90, 0x80, 0x80, 0xc3],
        [0xe2, 0x80], // a cut three-byte sequence
        "/../../../etc/passwd"u8.ToArray(),
        "%s%n%x{0}\\x1b"u8.ToArray(),
        "\u001bP+q\u001b\\\u001b[6n"u8.ToArray(),
    ];

    /// <summary>Applies 1–4 damages; <see cref="Undo"/> restores the buffer. Returns the length to analyse (a truncation may shorten it).</summary>
    public int Mutate()
    {
        applied.Clear();
        int length = buffer.Length;
        int count = 1 + (random.Next(8) switch { < 4 => 0, < 6 => 1, 6 => 2, _ => 3 });
        for (int i = 0; i < count; i++)
        {
            int pick = random.Next(100);
            if (pick < 34) MutateField(PickField(FieldFilter.Headers));
            else if (pick < 54) MutateField(PickField(FieldFilter.Memory));
            else if (pick < 68) MutateString();
            else if (pick < 78) length = Math.Min(length, Truncation());
            else if (pick < 88) Havoc();
            else if (pick < 94) CopyBlock();
            else InsertTypeConfusion();
        }
        return length;
    }

    public void Undo()
    {
        for (int i = journal.Count - 1; i >= 0; i--)
            journal[i].Original.CopyTo(buffer, journal[i].Offset);
        journal.Clear();
    }

    private void Write(int offset, ReadOnlySpan<byte> data)
    {
        int n = Math.Min(data.Length, buffer.Length - offset);
        if (offset < 0 || n <= 0) return;
        journal.Add((offset, buffer.AsSpan(offset, n).ToArray()));
        data[..n].CopyTo(buffer.AsSpan(offset));
    }

    private void WriteValue(int offset, int width, ulong value)
    {
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(b, value);
        Write(offset, b[..width]);
    }

    private ulong Read(int offset, int width)
    {
        Span<byte> b = stackalloc byte[8];
        b.Clear();
        buffer.AsSpan(offset, Math.Min(width, buffer.Length - offset)).CopyTo(b);
        return BinaryPrimitives.ReadUInt64LittleEndian(b);
    }

    private enum FieldFilter { Headers, Memory }

    private static bool IsMemoryKind(FieldKind k) => k is FieldKind.Pointer or FieldKind.SelfPointer or FieldKind.ThreadPointer or FieldKind.ListLink
        or FieldKind.BackPointer or FieldKind.SavedFramePointer or FieldKind.ReturnAddress;

    private CoreField? PickField(FieldFilter filter)
    {
        var fields = map.Fields;
        if (fields.Count == 0) return null;
        // Prefer the rarer, more interesting kinds: a plain pointer is one of thousands.
        for (int attempt = 0; attempt < 16; attempt++)
        {
            var f = fields[random.Next(fields.Count)];
            if ((filter == FieldFilter.Memory) != IsMemoryKind(f.Kind)) continue;
            if (f.Kind == FieldKind.Pointer && random.Next(4) != 0) continue;
            return f;
        }
        return fields[random.Next(fields.Count)];
    }

    private void MutateField(CoreField? picked)
    {
        if (picked is not { } f) { Havoc(); return; }
        ulong old = Read(f.Offset, f.Width);
        ulong value = f.Kind switch
        {
            FieldKind.Size or FieldKind.Count => SizeValue(old, f),
            FieldKind.StructSize => random.Next(3) == 0 ? SizeValue(old, f) : StructSizes[random.Next(StructSizes.Length)] + (ulong)(random.Next(3) - 1) * (ulong)random.Next(2),
            FieldKind.FileOffset => OffsetValue(old),
            FieldKind.Type => random.Next(3) == 0 ? Extremes[random.Next(Extremes.Length)] : (ulong)(uint)random.Next(0, 20) | (random.Next(4) == 0 ? 0x200UL : 0UL),
            FieldKind.SelfPointer => PointerValue(old, f, [.. SameKind(FieldKind.SelfPointer)]),
            FieldKind.ListLink or FieldKind.ThreadPointer or FieldKind.BackPointer => PointerValue(old, f, [.. SameKind(FieldKind.ThreadPointer).Concat(SameKind(FieldKind.ListLink))]),
            FieldKind.SavedFramePointer => FramePointerValue(old, f),
            FieldKind.ReturnAddress => ReturnAddressValue(old, f),
            _ => PointerValue(old, f, []),
        };
        if (f.Width < 8) value &= (1UL << (8 * f.Width)) - 1;
        WriteValue(f.Offset, f.Width, value);
        applied.Add($"{f.Label} at file offset 0x{f.Offset:x}: 0x{old:x} -> 0x{value:x}");
    }

    private IEnumerable<CoreField> SameKind(FieldKind kind) => map.Fields.Where(x => x.Kind == kind).Take(64);

    private ulong SizeValue(ulong old, CoreField f) => random.Next(7) switch
    {
        0 => old + 1,
        1 => old - 1,
        2 => old * 2 + (ulong)random.Next(2),
        3 => (ulong)(map.Length - f.Offset + random.Next(-16, 16)),
        4 => (ulong)random.Next(0, 4096),
        5 => StructSizes[random.Next(StructSizes.Length)],
        _ => Extremes[random.Next(Extremes.Length)],
    };

    private ulong OffsetValue(ulong old) => random.Next(6) switch
    {
        0 => (ulong)map.Length - (ulong)random.Next(0, 64),
        1 => (ulong)map.Length + (ulong)random.Next(0, 4096),
        2 => map.NoteHeaders.Count > 0 ? (ulong)map.NoteHeaders[random.Next(map.NoteHeaders.Count)] : 64,
        3 => old + (ulong)random.Next(-64, 64),
        4 => (ulong)random.Next(0, Math.Max(1, map.HeaderEnd + 64)),
        _ => Extremes[random.Next(Extremes.Length)],
    };

    /// <summary>A pointer that names itself, a sibling (a cycle), nothing, a page edge, or kernel space.</summary>
    private ulong PointerValue(ulong old, CoreField f, IReadOnlyList<CoreField> siblings)
    {
        ulong self = AddressOf(f.Offset) ?? old;
        return random.Next(9) switch
        {
            0 => self,
            1 when siblings.Count > 0 => AddressOf(siblings[random.Next(siblings.Count)].Offset) ?? old,
            2 => 0,
            3 => 1,
            4 => old + (ulong)random.Next(1, 8),
            5 when map.Loads.Count > 0 => EdgeOf(map.Loads[random.Next(map.Loads.Count)]),
            6 => 0xffff_8000_0000_0000UL + (ulong)random.Next(),
            7 => old - (ulong)random.Next(0, 0x600),
            _ => Extremes[random.Next(Extremes.Length)],
        };
    }

    /// <summary>The last bytes of a segment: a read there straddles its end.</summary>
    private ulong EdgeOf(LoadRange l) => l.VirtualAddress + (ulong)l.Length - (ulong)random.Next(1, 9);

    /// <summary>A saved %rbp naming its own slot (a loop), an inner frame (a cycle), or nowhere.</summary>
    private ulong FramePointerValue(ulong old, CoreField f)
    {
        ulong self = AddressOf(f.Offset) ?? old;
        return random.Next(6) switch
        {
            0 => self,
            1 => self - 16 * (ulong)random.Next(1, 8),
            2 => self + 8,
            3 => 0,
            4 => old | 7,
            _ => Extremes[random.Next(Extremes.Length)],
        };
    }

    private ulong ReturnAddressValue(ulong old, CoreField f) => random.Next(6) switch
    {
        0 => 0xdead_beef,
        1 => 0,
        2 => AddressOf(f.Offset) ?? old, // into the stack itself
        3 => old + (ulong)random.Next(-32, 32),
        4 => map.Loads.Count > 0 ? map.Loads[random.Next(map.Loads.Count)].VirtualAddress : 1,
        _ => Extremes[random.Next(Extremes.Length)],
    };

    private ulong? AddressOf(int fileOffset)
    {
        foreach (var l in map.Loads)
            if (fileOffset >= l.FileOffset && fileOffset < l.FileOffset + l.Length) return l.VirtualAddress + (ulong)(fileOffset - l.FileOffset);
        return null;
    }

    private void MutateString()
    {
        if (map.Strings.Count == 0) { Havoc(); return; }
        var s = map.Strings[random.Next(map.Strings.Count)];
        switch (random.Next(4))
        {
            case 0: // no terminator: fill to the end of the field and a little past it
            {
                var fill = new byte[s.Capacity + random.Next(0, 64)];
                fill.AsSpan().Fill((byte)random.Next(0x21, 0x7f));
                Write(s.Offset, fill);
                applied.Add($"{s.Label} at 0x{s.Offset:x}: terminator removed ({fill.Length} bytes)");
                break;
            }
            case 1: // hostile content at the start, then NUL
            {
                var payload = HostileStrings[random.Next(HostileStrings.Length)];
                var data = payload.Take(Math.Max(1, s.Capacity - 1)).Append((byte)0).ToArray();
                Write(s.Offset, data);
                applied.Add($"{s.Label} at 0x{s.Offset:x}: hostile text {Convert.ToHexString(payload)}");
                break;
            }
            case 2: // hostile content in the middle, terminator kept
            {
                var payload = HostileStrings[random.Next(HostileStrings.Length)];
                int at = s.Offset + random.Next(0, Math.Max(1, s.Capacity - 1));
                int room = s.Offset + s.Capacity - 1 - at;
                if (room > 0) Write(at, payload.AsSpan(0, Math.Min(room, payload.Length)));
                applied.Add($"{s.Label} at 0x{s.Offset:x}: hostile text at +{at - s.Offset}");
                break;
            }
            default: // random bytes
            {
                var junk = new byte[Math.Max(1, s.Capacity)];
                random.NextBytes(junk);
                Write(s.Offset, junk);
                applied.Add($"{s.Label} at 0x{s.Offset:x}: {junk.Length} random bytes");
                break;
            }
        }
    }

    /// <summary>A cut: inside the headers, inside or at the end of the notes, at a segment edge, or anywhere.</summary>
    private int Truncation()
    {
        int length = buffer.Length;
        int cut = random.Next(5) switch
        {
            0 => random.Next(0, Math.Min(length, map.HeaderEnd + 1) + 1),
            1 when map.NoteSegments.Count > 0 => RandomIn(map.NoteSegments[random.Next(map.NoteSegments.Count)]),
            2 when map.Loads.Count > 0 => map.Loads[random.Next(map.Loads.Count)] is var l ? l.FileOffset + random.Next(-8, 9) : 0,
            3 when map.NoteHeaders.Count > 0 => map.NoteHeaders[random.Next(map.NoteHeaders.Count)] + random.Next(0, 16),
            _ => random.Next(0, length + 1),
        };
        cut = Math.Clamp(cut, 0, length);
        applied.Add($"truncated to {cut} of {length} bytes");
        return cut;
    }

    private int RandomIn((int Start, int End) r) => random.Next(r.Start, Math.Max(r.Start, r.End) + 1);

    /// <summary>A few random bytes, most often in the headers and notes.</summary>
    private void Havoc()
    {
        int end = map.NoteSegments.Count > 0 && random.Next(4) != 0 ? map.NoteSegments.Max(n => n.End) : buffer.Length;
        int n = random.Next(1, 9);
        for (int i = 0; i < n; i++)
        {
            int at = random.Next(0, Math.Max(1, end));
            byte value = random.Next(3) switch { 0 => (byte)random.Next(256), 1 => (byte)(buffer[at] ^ (1 << random.Next(8))), _ => (byte)(random.Next(2) == 0 ? 0 : 0xff) };
            Write(at, [value]);
        }
        applied.Add($"{n} random bytes below 0x{end:x}");
    }

    /// <summary>One structure over another: a note header over a different note, a record over the next.</summary>
    private void CopyBlock()
    {
        if (map.NoteHeaders.Count < 2) { Havoc(); return; }
        int from = map.NoteHeaders[random.Next(map.NoteHeaders.Count)], to = map.NoteHeaders[random.Next(map.NoteHeaders.Count)];
        int n = random.Next(4) == 0 ? 12 : random.Next(12, 1200);
        n = Math.Min(n, Math.Min(buffer.Length - from, buffer.Length - to));
        if (n <= 0) return;
        Write(to, buffer.AsSpan(from, n).ToArray());
        applied.Add($"copied {n} bytes from note at 0x{from:x} over note at 0x{to:x}");
    }

    /// <summary>Retypes a note as another kind of note, so its descriptor is read with the wrong layout.</summary>
    private void InsertTypeConfusion()
    {
        if (map.NoteHeaders.Count == 0) { Havoc(); return; }
        int at = map.NoteHeaders[random.Next(map.NoteHeaders.Count)];
        uint[] types = [1, 2, 3, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 0x200, 0x202];
        uint type = types[random.Next(types.Length)];
        WriteValue(at + 8, 4, type);
        applied.Add($"note at 0x{at:x} retyped as 0x{type:x}");
    }

    /// <summary>The damage as a one-line description.</summary>
    public string Describe() => string.Join("; ", applied);
}
