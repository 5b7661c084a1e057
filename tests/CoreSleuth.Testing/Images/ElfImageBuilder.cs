using System.Text;
using Iced.Intel;
using static CoreSleuth.Testing.Images.ElfConstants;

namespace CoreSleuth.Testing.Images;

/// <summary>
/// Produces a FreeBSD/amd64 ELF64 file from an <see cref="ElfImageSpec"/>: an ET_EXEC at 0x400000 or
/// an ET_DYN at 0, laid out as GNU ld lays out FreeBSD 10–12 binaries — one r-x PT_LOAD (headers,
/// .interp, .note.tag, hash tables, .dynsym/.dynstr, version sections, .rela.plt, .plt, .text,
/// .eh_frame_hdr, .eh_frame) and one rw- PT_LOAD 2 MiB higher (.dynamic, .got.plt, .data, .bss).
/// The output is a pure function of the spec.
/// </summary>
public static class ElfImageBuilder
{
    private const int EhdrSize = 64, PhdrSize = 56, ShdrSize = 64, SymSize = 24, DynSize = 16, RelaSize = 24, PltEntrySize = 16;

    public static ElfImage Build(ElfImageSpec spec)
    {
        Validate(spec);
        var exe = spec.Kind == ElfImageKind.Executable;
        var functionList = spec.Functions.ToList();
        var baseAddress = spec.LinkBase;
        var versioned = spec.VersionDefinitions.Count > 0;

        FrameStyle StyleOf(FunctionSpec f) =>
            f.SyscallNumber is not null ? FrameStyle.None
            : spec.OmitFramePointers && f.Frame == FrameStyle.FramePointer ? FrameStyle.NoFramePointer
            : f.Frame;

        // ---- symbols: imports (undefined), then the exported definitions ----
        var localNames = new HashSet<string>(spec.Functions.SelectMany(f => f.AllNames));
        var imports = new List<string>();
        void NoteImport(string name)
        {
            if (!localNames.Contains(name) && !imports.Contains(name))
            {
                imports.Add(name);
            }
        }

        foreach (var f in spec.Functions)
        {
            foreach (var c in f.Calls.Where(c => c.Kind == CallKind.Direct))
            {
                NoteImport(c.Callee!);
            }

            if (f.SyscallErrorHandler is { } handler)
            {
                NoteImport(handler);
            }
        }

        var exports = new List<PendingSymbol>();
        foreach (var f in spec.Functions.Where(f => f.Exported))
        {
            exports.Add(new PendingSymbol(f.Name, SttFunc, Bind(f.Binding), f.Version, f, null));
            foreach (var alias in f.Aliases)
            {
                exports.Add(new PendingSymbol(alias.Name, SttFunc, Bind(alias.Binding), alias.Version, f, null));
            }
        }

        foreach (var d in spec.DataObjects.Where(d => d.Exported))
        {
            exports.Add(new PendingSymbol(d.Name, SttObject, Bind(d.Binding), d.Version, null, d));
        }

        // GNU hash requires the hashed symbols grouped by bucket.
        var gnuBuckets = Math.Max(1, (exports.Count / 4) + 1);
        exports = [.. exports.Select((s, i) => (s, i)).OrderBy(p => ElfHashes.Gnu(p.s.Name) % (uint)gnuBuckets).ThenBy(p => p.i).Select(p => p.s)];
        var symbolCount = 1 + imports.Count + exports.Count;

        // ---- .dynstr ----
        var dynstr = new StringTable();
        foreach (var needed in spec.Needed)
        {
            dynstr.Add(needed);
        }

        var soName = spec.SoName;
        if (soName is not null)
        {
            dynstr.Add(soName);
        }

        foreach (var name in imports)
        {
            dynstr.Add(name);
        }

        foreach (var s in exports)
        {
            dynstr.Add(s.Name);
        }

        var baseVersionName = soName ?? spec.FileName;
        if (versioned)
        {
            dynstr.Add(baseVersionName);
            foreach (var v in spec.VersionDefinitions)
            {
                dynstr.Add(v);
            }
        }

        var dynstrBytes = dynstr.ToArray();

        // ---- sizes known before any address ----
        var noteBytes = BuildNote(spec.OsRelDate, exe);
        var interpBytes = exe ? Encoding.ASCII.GetBytes(spec.Interpreter + "\0") : [];
        var sysvBuckets = Math.Max(1, (symbolCount / 2) + 1);
        var hashSize = 4 * (2 + sysvBuckets + symbolCount);
        var bloomWords = 1;
        while (bloomWords * 64 < exports.Count * 2)
        {
            bloomWords *= 2;
        }

        var gnuHashSize = 16 + (8 * bloomWords) + (4 * gnuBuckets) + (4 * exports.Count);
        var versymSize = versioned ? 2 * symbolCount : 0;
        var verdefCount = versioned ? 1 + spec.VersionDefinitions.Count : 0;
        var verdefSize = 28 * verdefCount;
        var relaPltSize = RelaSize * imports.Count;
        var pltSize = imports.Count > 0 ? PltEntrySize * (imports.Count + 1) : 0;
        var dynamicCount = spec.Needed.Count + (soName is not null ? 1 : 0) + 6 + (exe ? 1 : 0)
            + (imports.Count > 0 ? 4 : 0) + (versioned ? 3 : 0) + 1;
        var gotPltSize = imports.Count > 0 ? 8 * (3 + imports.Count) : 0;

        var programHeaderCount = (exe ? 2 : 0) + (spec.EhFrameHeader ? 6 : 5);

        // ---- code sizes (independent of addresses: branches are always near, see FunctionAssembler) ----
        var provisional = spec.Functions.Select(f => FunctionAssembler.Assemble(f, StyleOf(f), 0x1000, DummyResolve)).ToList();

        // ---- layout of the text segment ----
        var layout = new Cursor(0);
        layout.Skip(EhdrSize);
        var phdrOffset = layout.Take(PhdrSize * programHeaderCount, 8);
        var interpOffset = exe ? layout.Take(interpBytes.Length, 1) : 0;
        var noteOffset = layout.Take(noteBytes.Length, 4);
        var hashOffset = layout.Take(hashSize, 8);
        var gnuHashOffset = layout.Take(gnuHashSize, 8);
        var dynsymOffset = layout.Take(SymSize * symbolCount, 8);
        var dynstrOffset = layout.Take(dynstrBytes.Length, 1);
        var versymOffset = versioned ? layout.Take(versymSize, 2) : 0;
        var verdefOffset = versioned ? layout.Take(verdefSize, 8) : 0;
        var relaPltOffset = imports.Count > 0 ? layout.Take(relaPltSize, 8) : 0;
        var pltOffset = imports.Count > 0 ? layout.Take(pltSize, 16) : 0;
        var textOffset = layout.Align(16);
        var functionOffsets = new List<int>();
        foreach (var code in provisional)
        {
            functionOffsets.Add(layout.Take(code.Code.Length, 16));
        }

        var withFde = spec.Functions.Select(spec.EmitsFde).ToList();
        var fdeCount = withFde.Count(w => w);
        var fdeSizes = provisional.Select((p, i) => withFde[i] ? FdeSize(p.Cfi) : 0).ToList();
        var ehFrameSize = CieSize + fdeSizes.Sum() + 4;
        var ehFrameHdrSize = spec.EhFrameHeader ? 12 + (8 * fdeCount) : 0;

        // Real text segments span many pages; keep at least one full page of text so that the data
        // segment never shares the file's first page (its mapping offset is then never 0, and only
        // the text mapping has offset 0 — the ELF header, spec §9.3).
        var tail = 4 + ehFrameHdrSize + 8 + ehFrameSize;
        if (layout.Position + tail < (int)PageSize + 16)
        {
            layout.Skip((int)PageSize + 16 - (layout.Position + tail));
        }

        var textSize = layout.Position - textOffset;
        var ehFrameHdrOffset = spec.EhFrameHeader ? layout.Take(ehFrameHdrSize, 4) : 0;
        var ehFrameOffset = layout.Take(ehFrameSize, 8);
        var textFileEnd = layout.Position;

        // ---- layout of the data segment: same page offset as in the file, MAXPAGESIZE higher ----
        var dataFileOffset = Align(textFileEnd, 16);
        var dataDelta = MaxPageSize;
        ulong VaddrOfData(int fileOffset) => baseAddress + dataDelta + (ulong)fileOffset;
        layout = new Cursor(dataFileOffset);
        var dynamicOffset = layout.Take(DynSize * dynamicCount, 8);
        var gotPltOffset = imports.Count > 0 ? layout.Take(gotPltSize, 8) : layout.Align(8);
        var dataSectionOffset = layout.Align(16);
        var dataObjectOffsets = new Dictionary<DataObjectSpec, int>();
        foreach (var d in spec.DataObjects.Where(d => !d.Uninitialized))
        {
            dataObjectOffsets[d] = layout.Take(d.Size, d.Alignment);
        }

        var dataSectionSize = layout.Position - dataSectionOffset;
        var dataFileEnd = layout.Position;
        var bssOffset = layout.Align(16);
        foreach (var d in spec.DataObjects.Where(d => d.Uninitialized))
        {
            dataObjectOffsets[d] = layout.Take(d.Size, d.Alignment);
        }

        var bssSize = layout.Position - bssOffset;
        var dataMemEnd = layout.Position;

        ulong TextVaddr(int offset) => baseAddress + (ulong)offset;
        var functionAddresses = functionOffsets.Select(TextVaddr).ToList();
        var pltAddress = TextVaddr(pltOffset);
        var gotPltAddress = VaddrOfData(gotPltOffset);
        var importPlt = imports.Select((name, i) => (name, Plt: pltAddress + (ulong)(PltEntrySize * (i + 1)), Got: gotPltAddress + (ulong)(8 * (3 + i)))).ToList();
        ulong DataAddress(DataObjectSpec d) => VaddrOfData(dataObjectOffsets[d]);

        CallTarget Resolve(CallSite site)
        {
            switch (site.Kind)
            {
                case CallKind.Direct:
                    var local = functionList.FindIndex(f => f.AllNames.Contains(site.Callee!));
                    if (local >= 0)
                    {
                        return new CallTarget(functionAddresses[local], null);
                    }

                    return new CallTarget(importPlt.Single(p => p.name == site.Callee).Plt, null);
                case CallKind.ThroughSlot:
                    var table = spec.DataObjects.Single(d => d.Name == site.SlotSymbol);
                    return new CallTarget(null, DataAddress(table) + (ulong)(8 * site.SlotIndex));
                default:
                    return new CallTarget(null, null);
            }
        }

        // ---- final code ----
        var assembled = spec.Functions.Select((f, i) => FunctionAssembler.Assemble(f, StyleOf(f), functionAddresses[i], Resolve)).ToList();
        for (var i = 0; i < assembled.Count; i++)
        {
            if (assembled[i].Code.Length != provisional[i].Code.Length || (withFde[i] ? FdeSize(assembled[i].Cfi) : 0) != fdeSizes[i])
            {
                throw new InvalidOperationException($"{spec.Functions[i].Name}: code size depends on its address");
            }
        }

        // ---- write the file ----
        var file = new ByteBuffer();
        var shstr = new StringTable();
        var sections = new List<SectionHeader>();

        var textSegment = new ElfSegmentInfo(baseAddress, 0, (ulong)textFileEnd, (ulong)textFileEnd, false, true);
        var dataSegment = new ElfSegmentInfo(VaddrOfData(dataFileOffset), (ulong)dataFileOffset, (ulong)(dataFileEnd - dataFileOffset), (ulong)(dataMemEnd - dataFileOffset), true, false);
        ulong? ehFrameHdrAddress = spec.EhFrameHeader ? TextVaddr(ehFrameHdrOffset) : null;
        var ehFrameAddress = TextVaddr(ehFrameOffset);
        var dynamicAddress = VaddrOfData(dynamicOffset);
        var entry = exe && spec.EntryFunction is { } entryName ? functionAddresses[functionList.FindIndex(f => f.AllNames.Contains(entryName))] : 0UL;

        // ELF header (section-header fields patched at the end).
        file.Bytes([0x7f, (byte)'E', (byte)'L', (byte)'F', ElfClass64, ElfData2Lsb, EvCurrent, OsAbiFreeBsd]);
        file.Zeros(8);
        file.U16(exe ? EtExec : EtDyn);
        file.U16(EmX86_64);
        file.U32(EvCurrent);
        file.U64(entry);
        file.U64((ulong)phdrOffset);
        var shoffPatch = file.Length;
        file.U64(0);
        file.U32(0);
        file.U16(EhdrSize);
        file.U16(PhdrSize);
        file.U16((ushort)programHeaderCount);
        file.U16(ShdrSize);
        var shnumPatch = file.Length;
        file.U16(0);
        file.U16(0);

        // Program headers in GNU ld's order.
        file.PadTo(phdrOffset);
        if (exe)
        {
            Phdr(file, PtPhdr, PfR, phdrOffset, TextVaddr(phdrOffset), PhdrSize * programHeaderCount, PhdrSize * programHeaderCount, 8);
            Phdr(file, PtInterp, PfR, interpOffset, TextVaddr(interpOffset), interpBytes.Length, interpBytes.Length, 1);
        }

        Phdr(file, PtLoad, PfR | PfX, 0, baseAddress, textFileEnd, textFileEnd, MaxPageSize);
        Phdr(file, PtLoad, PfR | PfW, dataFileOffset, VaddrOfData(dataFileOffset), dataFileEnd - dataFileOffset, dataMemEnd - dataFileOffset, MaxPageSize);
        Phdr(file, PtDynamic, PfR | PfW, dynamicOffset, dynamicAddress, DynSize * dynamicCount, DynSize * dynamicCount, 8);
        Phdr(file, PtNote, PfR, noteOffset, TextVaddr(noteOffset), noteBytes.Length, noteBytes.Length, 4);
        if (ehFrameHdrAddress is { } hdrAddress)
        {
            Phdr(file, PtGnuEhFrame, PfR, ehFrameHdrOffset, hdrAddress, ehFrameHdrSize, ehFrameHdrSize, 4);
        }

        Phdr(file, PtGnuStack, PfR | PfW, 0, 0, 0, 0, 16);

        sections.Add(new SectionHeader("", 0, 0, 0, 0, 0, null, 0, 0, 0));
        int AddSection(string name, uint type, ulong flags, int offset, ulong address, long size, int align, long entsize = 0, string? link = null, uint info = 0)
        {
            sections.Add(new SectionHeader(name, type, flags, address, (ulong)offset, (ulong)size, link, info, (ulong)align, (ulong)entsize));
            return sections.Count - 1;
        }

        if (exe)
        {
            file.PadTo(interpOffset);
            file.Bytes(interpBytes);
            AddSection(".interp", ShtProgbits, ShfAlloc, interpOffset, TextVaddr(interpOffset), interpBytes.Length, 1);
        }

        file.PadTo(noteOffset);
        file.Bytes(noteBytes);
        AddSection(".note.tag", ShtNote, ShfAlloc, noteOffset, TextVaddr(noteOffset), noteBytes.Length, 4);

        // Dynamic symbol table entries in final order.
        var symbols = new List<(string Name, ulong Value, ulong Size, byte Type, byte Bind, string Section, ushort Version)>
        {
            ("", 0, 0, 0, 0, "", 0),
        };
        foreach (var name in imports)
        {
            symbols.Add((name, 0, 0, SttFunc, StbGlobal, "", versioned ? VerNdxGlobal : (ushort)0));
        }

        ushort VersionIndex(string? version) =>
            version is null ? VerNdxGlobal : (ushort)(2 + spec.VersionDefinitions.ToList().IndexOf(version));

        foreach (var s in exports)
        {
            if (s.Function is { } f)
            {
                var index = functionList.IndexOf(f);
                symbols.Add((s.Name, functionAddresses[index], (ulong)assembled[index].Code.Length, SttFunc, s.Bind, ".text", VersionIndex(s.Version)));
            }
            else
            {
                var d = s.Data!;
                symbols.Add((s.Name, DataAddress(d), (ulong)d.Size, SttObject, s.Bind, d.Uninitialized ? ".bss" : ".data", VersionIndex(s.Version)));
            }
        }

        // .hash (SysV): nbucket, nchain, buckets, chains.
        file.PadTo(hashOffset);
        {
            var buckets = new uint[sysvBuckets];
            var chains = new uint[symbolCount];
            for (var i = 1; i < symbolCount; i++)
            {
                var b = ElfHashes.SysV(symbols[i].Name) % (uint)sysvBuckets;
                chains[i] = buckets[b];
                buckets[b] = (uint)i;
            }

            file.U32((uint)sysvBuckets);
            file.U32((uint)symbolCount);
            foreach (var b in buckets)
            {
                file.U32(b);
            }

            foreach (var c in chains)
            {
                file.U32(c);
            }
        }

        var symtabSectionName = ".dynsym";
        AddSection(".hash", ShtHash, ShfAlloc, hashOffset, TextVaddr(hashOffset), hashSize, 8, 4, symtabSectionName);

        // .gnu.hash: nbuckets, symoffset, bloom size, bloom shift, bloom words, buckets, chain.
        file.PadTo(gnuHashOffset);
        {
            const int bloomShift = 26;
            var symOffset = 1 + imports.Count;
            var bloom = new ulong[bloomWords];
            var buckets = new uint[gnuBuckets];
            var chain = new uint[exports.Count];
            for (var i = 0; i < exports.Count; i++)
            {
                var h = ElfHashes.Gnu(exports[i].Name);
                bloom[(h / 64) % (uint)bloomWords] |= (1UL << (int)(h % 64)) | (1UL << (int)((h >> bloomShift) % 64));
                var b = h % (uint)gnuBuckets;
                if (buckets[b] == 0)
                {
                    buckets[b] = (uint)(symOffset + i);
                }

                var last = i + 1 == exports.Count || ElfHashes.Gnu(exports[i + 1].Name) % (uint)gnuBuckets != b;
                chain[i] = (h & ~1u) | (last ? 1u : 0u);
            }

            file.U32((uint)gnuBuckets);
            file.U32((uint)symOffset);
            file.U32((uint)bloomWords);
            file.U32(bloomShift);
            foreach (var w in bloom)
            {
                file.U64(w);
            }

            foreach (var b in buckets)
            {
                file.U32(b);
            }

            foreach (var c in chain)
            {
                file.U32(c);
            }
        }

        AddSection(".gnu.hash", ShtGnuHash, ShfAlloc, gnuHashOffset, TextVaddr(gnuHashOffset), gnuHashSize, 8, 0, symtabSectionName);

        // .dynsym (section indices patched below once all sections exist).
        file.PadTo(dynsymOffset);
        var symbolSectionPatches = new List<(int Offset, string Section)>();
        foreach (var s in symbols)
        {
            file.U32(s.Name.Length == 0 ? 0 : dynstr.Offset(s.Name));
            file.U8((byte)((s.Bind << 4) | s.Type));
            file.U8(0);
            symbolSectionPatches.Add((file.Length, s.Section));
            file.U16(0);
            file.U64(s.Value);
            file.U64(s.Size);
        }

        AddSection(".dynsym", ShtDynsym, ShfAlloc, dynsymOffset, TextVaddr(dynsymOffset), SymSize * symbolCount, 8, SymSize, ".dynstr", 1);
        file.PadTo(dynstrOffset);
        file.Bytes(dynstrBytes);
        AddSection(".dynstr", ShtStrtab, ShfAlloc, dynstrOffset, TextVaddr(dynstrOffset), dynstrBytes.Length, 1);

        if (versioned)
        {
            file.PadTo(versymOffset);
            foreach (var s in symbols)
            {
                file.U16(s.Version);
            }

            AddSection(".gnu.version", ShtGnuVersym, ShfAlloc, versymOffset, TextVaddr(versymOffset), versymSize, 2, 2, symtabSectionName);

            file.PadTo(verdefOffset);
            var names = new List<string> { baseVersionName };
            names.AddRange(spec.VersionDefinitions);
            for (var i = 0; i < names.Count; i++)
            {
                file.U16(1);
                file.U16(i == 0 ? VerFlgBase : (ushort)0);
                file.U16((ushort)(i + 1));
                file.U16(1);
                file.U32(ElfHashes.SysV(names[i]));
                file.U32(20);
                file.U32(i + 1 < names.Count ? 28u : 0u);
                file.U32(dynstr.Offset(names[i]));
                file.U32(0);
            }

            AddSection(".gnu.version_d", ShtGnuVerdef, ShfAlloc, verdefOffset, TextVaddr(verdefOffset), verdefSize, 8, 0, ".dynstr", (uint)names.Count);
        }

        if (imports.Count > 0)
        {
            file.PadTo(relaPltOffset);
            for (var i = 0; i < imports.Count; i++)
            {
                file.U64(importPlt[i].Got);
                file.U64(((ulong)(1 + i) << 32) | RX86_64JumpSlot);
                file.I64(0);
            }

            AddSection(".rela.plt", ShtRela, ShfAlloc | ShfInfoLink, relaPltOffset, TextVaddr(relaPltOffset), relaPltSize, 8, RelaSize, symtabSectionName, 0);
            var relaIndex = sections.Count - 1;

            file.PadTo(pltOffset);
            file.Bytes(AssemblePlt(pltAddress, gotPltAddress, imports.Count));
            AddSection(".plt", ShtProgbits, ShfAlloc | ShfExecInstr, pltOffset, pltAddress, pltSize, 16, 16);

            // sh_info of .rela.plt names the section the relocations apply to (.got.plt), patched below.
            sections[relaIndex] = sections[relaIndex] with { InfoSection = ".got.plt" };
        }

        file.PadTo(textOffset);
        for (var i = 0; i < assembled.Count; i++)
        {
            while (file.Length < functionOffsets[i])
            {
                file.U8(0xcc);
            }

            file.Bytes(assembled[i].Code);
        }

        while (file.Length < textOffset + textSize)
        {
            file.U8(0xcc);
        }

        AddSection(".text", ShtProgbits, ShfAlloc | ShfExecInstr, textOffset, TextVaddr(textOffset), textSize, 16);

        // .eh_frame_hdr then .eh_frame.
        var described = Enumerable.Range(0, assembled.Count).Where(i => withFde[i]).ToList();
        var ehFrame = BuildEhFrame([.. described.Select(i => assembled[i])], [.. described.Select(i => functionAddresses[i])], ehFrameAddress, out var fdeOffsets);
        if (ehFrame.Length != ehFrameSize)
        {
            throw new InvalidOperationException("unexpected .eh_frame size");
        }

        if (ehFrameHdrAddress is { } headerAddress)
        {
            file.PadTo(ehFrameHdrOffset);
            file.U8(1);
            file.U8(DwEhPePcrelSdata4);
            file.U8(DwEhPeUdata4);
            file.U8(DwEhPeDatarelSdata4);
            file.I32(checked((int)((long)ehFrameAddress - (long)(headerAddress + 4))));
            file.U32((uint)described.Count);
            foreach (var (address, fde) in described.Select(i => functionAddresses[i]).Zip(fdeOffsets).OrderBy(p => p.First))
            {
                file.I32(checked((int)((long)address - (long)headerAddress)));
                file.I32(checked((int)((long)(ehFrameAddress + (ulong)fde) - (long)headerAddress)));
            }

            AddSection(".eh_frame_hdr", ShtProgbits, ShfAlloc, ehFrameHdrOffset, headerAddress, ehFrameHdrSize, 4);
        }

        file.PadTo(ehFrameOffset);
        file.Bytes(ehFrame);
        AddSection(".eh_frame", ShtX86_64Unwind, ShfAlloc, ehFrameOffset, ehFrameAddress, ehFrameSize, 8);

        // Data segment.
        file.PadTo(dynamicOffset);
        ulong? debugEntry = null;
        void Dyn(long tag, ulong value)
        {
            file.I64(tag);
            file.U64(value);
        }

        foreach (var needed in spec.Needed)
        {
            Dyn(DtNeeded, dynstr.Offset(needed));
        }

        if (soName is not null)
        {
            Dyn(DtSoName, dynstr.Offset(soName));
        }

        Dyn(DtHash, TextVaddr(hashOffset));
        Dyn(DtGnuHash, TextVaddr(gnuHashOffset));
        Dyn(DtStrTab, TextVaddr(dynstrOffset));
        Dyn(DtSymTab, TextVaddr(dynsymOffset));
        Dyn(DtStrSz, (ulong)dynstrBytes.Length);
        Dyn(DtSymEnt, SymSize);
        if (exe)
        {
            debugEntry = VaddrOfData(file.Length) + 8;
            Dyn(DtDebug, 0);
        }

        if (imports.Count > 0)
        {
            Dyn(DtPltGot, gotPltAddress);
            Dyn(DtPltRelSz, (ulong)relaPltSize);
            Dyn(DtPltRel, DtRela);
            Dyn(DtJmpRel, TextVaddr(relaPltOffset));
        }

        if (versioned)
        {
            Dyn(DtVerSym, TextVaddr(versymOffset));
            Dyn(DtVerDef, TextVaddr(verdefOffset));
            Dyn(DtVerDefNum, (ulong)verdefCount);
        }

        Dyn(DtNull, 0);
        if (file.Length != dynamicOffset + (DynSize * dynamicCount))
        {
            throw new InvalidOperationException("dynamic section size mismatch");
        }

        AddSection(".dynamic", ShtDynamic, ShfAlloc | ShfWrite, dynamicOffset, dynamicAddress, DynSize * dynamicCount, 8, DynSize, ".dynstr");

        if (imports.Count > 0)
        {
            file.PadTo(gotPltOffset);
            file.U64(dynamicAddress);
            file.U64(0);
            file.U64(0);
            foreach (var p in importPlt)
            {
                // Lazy binding: until resolved, a slot points back into its PLT entry (after the jmp).
                file.U64(p.Plt + 6);
            }

            AddSection(".got.plt", ShtProgbits, ShfAlloc | ShfWrite, gotPltOffset, gotPltAddress, gotPltSize, 8, 8);
        }

        file.PadTo(dataSectionOffset);
        foreach (var d in spec.DataObjects.Where(d => !d.Uninitialized))
        {
            file.PadTo(dataObjectOffsets[d]);
            var initial = d.InitialValue ?? [];
            file.Bytes(initial.AsSpan(0, Math.Min(initial.Length, d.Size)));
            file.Zeros(d.Size - Math.Min(initial.Length, d.Size));
        }

        file.PadTo(dataFileEnd);
        AddSection(".data", ShtProgbits, ShfAlloc | ShfWrite, dataSectionOffset, VaddrOfData(dataSectionOffset), dataSectionSize, 16);
        if (bssSize > 0)
        {
            AddSection(".bss", ShtNobits, ShfAlloc | ShfWrite, bssOffset, VaddrOfData(bssOffset), bssSize, 16);
        }

        // .shstrtab and the section header table.
        foreach (var s in sections)
        {
            shstr.Add(s.Name);
        }

        shstr.Add(".shstrtab");
        var shstrBytes = shstr.ToArray();
        var shstrOffset = file.Length;
        file.Bytes(shstrBytes);
        AddSection(".shstrtab", ShtStrtab, 0, shstrOffset, 0, shstrBytes.Length, 1);

        int IndexOf(string name) => sections.FindIndex(s => s.Name == name);
        file.Align(8);
        var shoff = file.Length;
        foreach (var s in sections)
        {
            file.U32(s.Name.Length == 0 ? 0 : shstr.Offset(s.Name));
            file.U32(s.Type);
            file.U64(s.Flags);
            file.U64(s.Address);
            file.U64(s.Offset);
            file.U64(s.Size);
            file.U32(s.Link is null ? 0u : (uint)IndexOf(s.Link));
            file.U32(s.InfoSection is null ? s.Info : (uint)IndexOf(s.InfoSection));
            file.U64(s.Align);
            file.U64(s.EntrySize);
        }

        var bytes = file.ToArray();
        BitConverter.TryWriteBytes(bytes.AsSpan(shoffPatch, 8), (ulong)shoff);
        BitConverter.TryWriteBytes(bytes.AsSpan(shnumPatch, 2), (ushort)sections.Count);
        BitConverter.TryWriteBytes(bytes.AsSpan(shnumPatch + 2, 2), (ushort)(sections.Count - 1));
        foreach (var (offset, section) in symbolSectionPatches)
        {
            var index = section.Length == 0 ? 0 : IndexOf(section);
            BitConverter.TryWriteBytes(bytes.AsSpan(offset, 2), (ushort)index);
        }

        var functions = assembled.Select((a, i) => new AssembledFunction(
            spec.Functions[i],
            functionAddresses[i],
            a.Code.Length,
            a.Frame,
            a.CallSites.Select(c => new CallSiteInfo(c.Spec, functionAddresses[i] + (ulong)c.CallOffset, functionAddresses[i] + (ulong)c.ReturnOffset, c.Target.DirectTarget, c.Target.SlotAddress)).ToList(),
            a.SyscallOffset is int s ? functionAddresses[i] + (ulong)s : null)
        {
            FaultInstructionAddress = a.FaultOffset is int f ? functionAddresses[i] + (ulong)f : null,
        }).ToList();
        var dataObjects = spec.DataObjects.Select(d => new ElfDataObject(d, DataAddress(d))).ToList();
        var pltImports = importPlt.Select((p, i) => new PltImport(p.name, p.Plt, p.Got, 1 + i)).ToList();

        return new ElfImage(
            spec,
            bytes,
            textSegment,
            dataSegment,
            entry,
            exe ? TextVaddr(phdrOffset) : (ulong)phdrOffset,
            programHeaderCount,
            dynamicAddress,
            debugEntry,
            gotPltAddress,
            ehFrameHdrAddress,
            ehFrameAddress,
            functions,
            dataObjects,
            pltImports);
    }

    private static void Validate(ElfImageSpec spec)
    {
        var names = spec.Functions.SelectMany(f => f.AllNames).Concat(spec.DataObjects.Select(d => d.Name)).ToList();
        var duplicate = names.GroupBy(n => n).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new ArgumentException($"{spec.FileName}: symbol {duplicate.Key} defined twice");
        }

        var versions = spec.Functions.Select(f => f.Version)
            .Concat(spec.Functions.SelectMany(f => f.Aliases.Select(a => a.Version)))
            .Concat(spec.DataObjects.Select(d => d.Version))
            .Where(v => v is not null);
        foreach (var v in versions)
        {
            if (!spec.VersionDefinitions.Contains(v!))
            {
                throw new ArgumentException($"{spec.FileName}: version {v} is not defined");
            }
        }

        if (spec.Kind == ElfImageKind.Executable && spec.EntryFunction is { } entry && !names.Contains(entry))
        {
            throw new ArgumentException($"{spec.FileName}: entry function {entry} is not defined");
        }

        if (spec.Kind == ElfImageKind.SharedLibrary && spec.SoName is null)
        {
            throw new ArgumentException($"{spec.FileName}: a shared library needs a SONAME");
        }

        foreach (var f in spec.Functions)
        {
            foreach (var c in f.Calls.Where(c => c.Kind == CallKind.ThroughSlot))
            {
                var table = spec.DataObjects.FirstOrDefault(d => d.Name == c.SlotSymbol)
                    ?? throw new ArgumentException($"{f.Name}: slot table {c.SlotSymbol} is not a data object of {spec.FileName}");
                if ((c.SlotIndex + 1) * 8 > table.Size)
                {
                    throw new ArgumentException($"{f.Name}: slot {c.SlotIndex} is outside {c.SlotSymbol}");
                }
            }

            if (f.Calls.Any(c => c.Kind == CallKind.Direct && string.IsNullOrEmpty(c.Callee)))
            {
                throw new ArgumentException($"{f.Name}: a direct call needs a callee");
            }
        }
    }

    private static byte Bind(SymbolBinding binding) => binding == SymbolBinding.Weak ? StbWeak : StbGlobal;

    private static CallTarget DummyResolve(CallSite site) => site.Kind switch
    {
        CallKind.Direct => new CallTarget(0x2000, null),
        CallKind.ThroughSlot => new CallTarget(null, 0x3000),
        _ => new CallTarget(null, null),
    };

    private static int Align(int value, int alignment) => (value + alignment - 1) / alignment * alignment;

    private static void Phdr(ByteBuffer file, uint type, uint flags, long offset, ulong vaddr, long fileSize, long memSize, ulong align)
    {
        file.U32(type);
        file.U32(flags);
        file.U64((ulong)offset);
        file.U64(vaddr);
        file.U64(vaddr);
        file.U64((ulong)fileSize);
        file.U64((ulong)memSize);
        file.U64(align);
    }

    /// <summary>The .note.tag of FreeBSD binaries: the ABI tag (osreldate) and, in executables, the
    /// NOINIT tag (as in the corpus' FreeBSD 12 hello: NT_VERSION d6 4f 12 00, then type 2 = 0).</summary>
    private static byte[] BuildNote(int osRelDate, bool executable)
    {
        var note = new ByteBuffer();
        void Note(uint type, int value)
        {
            note.U32(8);
            note.U32(4);
            note.U32(type);
            note.Bytes("FreeBSD\0"u8);
            note.I32(value);
        }

        Note(NtFreeBsdAbiTag, osRelDate);
        if (executable)
        {
            Note(NtFreeBsdNoInitTag, 0);
        }

        return note.ToArray();
    }

    /// <summary>PLT0 and one 16-byte entry per import, as GNU ld emits for x86-64 lazy binding.</summary>
    private static byte[] AssemblePlt(ulong pltAddress, ulong gotPlt, int count)
    {
        var asm = new Assembler(64) { PreferShortBranch = false };
        asm.AddInstruction(Instruction.Create(Code.Push_rm64, new MemoryOperand(Register.RIP, Register.None, 1, (long)(gotPlt + 8), 8)));
        asm.AddInstruction(Instruction.Create(Code.Jmp_rm64, new MemoryOperand(Register.RIP, Register.None, 1, (long)(gotPlt + 16), 8)));
        asm.AddInstruction(Instruction.Create(Code.Nop_rm32, new MemoryOperand(Register.RAX, Register.None, 1, 0, 1)));
        for (var i = 0; i < count; i++)
        {
            asm.AddInstruction(Instruction.Create(Code.Jmp_rm64, new MemoryOperand(Register.RIP, Register.None, 1, (long)(gotPlt + (ulong)(8 * (3 + i))), 8)));
            asm.AddInstruction(Instruction.Create(Code.Pushq_imm32, i));
            asm.AddInstruction(Instruction.CreateBranch(Code.Jmp_rel32_64, pltAddress));
        }

        var writer = new PltWriter();
        asm.Assemble(writer, pltAddress, BlockEncoderOptions.DontFixBranches);
        var bytes = writer.ToArray();
        if (bytes.Length != PltEntrySize * (count + 1))
        {
            throw new InvalidOperationException($"PLT is {bytes.Length} bytes, expected {PltEntrySize * (count + 1)}");
        }

        return bytes;
    }

    // ---- .eh_frame ----

    /// <summary>CIE "zR": code align 1, data align −8, RA column 16, FDE pointers pcrel|sdata4,
    /// initial rule CFA = rsp+8, RA at CFA−8 (as in every FreeBSD amd64 library of the corpus).</summary>
    private const int CieSize = 24;

    private static int FdeSize(IReadOnlyList<CfiOp> cfi)
    {
        var instructions = new ByteBuffer();
        CfiEncoder.Encode(instructions, cfi);
        return Align(4 + 4 + 4 + 4 + 1 + instructions.Length, 8);
    }

    private static byte[] BuildEhFrame(IReadOnlyList<AssembledCode> functions, IReadOnlyList<ulong> addresses, ulong ehFrameAddress, out List<int> fdeOffsets)
    {
        var eh = new ByteBuffer();
        eh.U32(CieSize - 4);
        eh.U32(0);
        eh.U8(1);
        eh.Bytes("zR\0"u8);
        eh.Uleb(1);
        eh.Sleb(CfiEncoder.DataAlignment);
        eh.Uleb(DwarfRegister.ReturnAddress);
        eh.Uleb(1);
        eh.U8(DwEhPePcrelSdata4);
        eh.U8(0x0c); // DW_CFA_def_cfa rsp, 8
        eh.Uleb(DwarfRegister.Rsp);
        eh.Uleb(8);
        eh.U8((byte)(0x80 | DwarfRegister.ReturnAddress)); // DW_CFA_offset rip, cfa-8
        eh.Uleb(1);
        eh.PadTo(CieSize);

        fdeOffsets = [];
        for (var i = 0; i < functions.Count; i++)
        {
            var start = eh.Length;
            fdeOffsets.Add(start);
            var instructions = new ByteBuffer();
            CfiEncoder.Encode(instructions, functions[i].Cfi);
            var size = FdeSize(functions[i].Cfi);
            eh.U32((uint)(size - 4));
            eh.U32((uint)(eh.Length - 0)); // CIE pointer: distance back to the CIE at offset 0
            var pcField = ehFrameAddress + (ulong)eh.Length;
            eh.I32(checked((int)((long)addresses[i] - (long)pcField)));
            eh.U32((uint)functions[i].Code.Length);
            eh.Uleb(0);
            eh.Bytes(instructions.ToArray());
            eh.PadTo(start + size);
        }

        eh.U32(0);
        return eh.ToArray();
    }

    private sealed record PendingSymbol(string Name, byte Type, byte Bind, string? Version, FunctionSpec? Function, DataObjectSpec? Data);

    private sealed record SectionHeader(string Name, uint Type, ulong Flags, ulong Address, ulong Offset, ulong Size, string? Link, uint Info, ulong Align, ulong EntrySize)
    {
        public string? InfoSection { get; init; }
    }

    private sealed class Cursor(int start)
    {
        public int Position { get; private set; } = start;

        public void Skip(int count) => Position += count;

        public int Align(int alignment)
        {
            Position = ElfImageBuilder.Align(Position, alignment);
            return Position;
        }

        public int Take(int size, int alignment)
        {
            var at = Align(alignment);
            Position += size;
            return at;
        }
    }

    private sealed class StringTable
    {
        private readonly ByteBuffer _bytes = new();
        private readonly Dictionary<string, int> _offsets = [];

        public StringTable() => _bytes.U8(0);

        public void Add(string text)
        {
            if (text.Length == 0 || _offsets.ContainsKey(text))
            {
                return;
            }

            _offsets[text] = _bytes.Length;
            _bytes.CString(text);
        }

        public uint Offset(string text) => (uint)_offsets[text];

        public byte[] ToArray() => _bytes.ToArray();
    }

    private sealed class PltWriter : CodeWriter
    {
        private readonly List<byte> _bytes = [];

        public override void WriteByte(byte value) => _bytes.Add(value);

        public byte[] ToArray() => [.. _bytes];
    }
}
