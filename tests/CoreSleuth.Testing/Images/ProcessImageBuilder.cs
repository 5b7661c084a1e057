using System.Buffers.Binary;
using System.Text;

namespace CoreSleuth.Testing.Images;

/// <summary>
/// Assembles a <see cref="ProcessImage"/>: maps the executable, rtld and libraries where FreeBSD
/// puts them, builds the initial process stack (strings, argv/envp, auxv, ps_strings), lays out
/// libthr's struct pthread / TCB objects and _thread_list, and simulates each thread's calls down to
/// its blocking system call to produce stack bytes and registers. Deterministic: same inputs, same bytes.
/// </summary>
public sealed class ProcessImageBuilder(FreeBsdVersion version, ProcessLayoutOptions? options = null)
{
    private const ulong Page = 0x1000, TwoMiB = 0x200000;

    private readonly ProcessLayoutOptions _options = options ?? new ProcessLayoutOptions();
    private readonly List<(ElfImage Image, string Path)> _libraries = [];
    private readonly List<object> _threads = [];
    private readonly List<HeapData> _heapData = [];
    private (ElfImage Image, string Path, IReadOnlyList<string> Arguments, IReadOnlyList<string> Environment)? _executable;
    private (ElfImage Image, string Path)? _rtld;

    public FreeBsdVersion Version => version;

    public ProcessImageBuilder SetExecutable(ElfImage image, string path, IReadOnlyList<string> arguments, IReadOnlyList<string> environment)
    {
        if (image.Kind != ElfImageKind.Executable)
        {
            throw new ArgumentException("not an executable image", nameof(image));
        }

        _executable = (image, path, arguments, environment);
        return this;
    }

    public ProcessImageBuilder SetRtld(ElfImage image, string path = "/libexec/ld-elf.so.1")
    {
        _rtld = (image, path);
        return this;
    }

    /// <summary>Libraries are mapped, and searched for symbols, in the order added.</summary>
    public ProcessImageBuilder AddLibrary(ElfImage image, string path)
    {
        _libraries.Add((image, path));
        return this;
    }

    /// <summary>Threads are created in the order added (the main thread must come first).</summary>
    public ProcessImageBuilder AddThread(ThreadSpec thread)
    {
        _threads.Add(thread);
        return this;
    }

    public ProcessImageBuilder AddExitedThread(ExitedThreadSpec thread)
    {
        _threads.Add(thread);
        return this;
    }

    public ProcessImageBuilder PlaceData(HeapData data)
    {
        _heapData.Add(data);
        return this;
    }

    public ProcessImageBuilder PlaceString(string label, string text, ulong? address = null) =>
        PlaceData(new HeapData(label, [.. Encoding.UTF8.GetBytes(text), 0]) { Address = address });

    public ProcessImage Build() => new Assembly(this).Run();

    /// <summary>One build: all mutable state of the layout lives here.</summary>
    private sealed class Assembly
    {
        private readonly ProcessImageBuilder _b;
        private readonly FreeBsdVersion _v;
        private readonly ProcessLayoutOptions _o;
        private readonly LibthrLayout _layout;
        private readonly List<RegionBuilder> _regions = [];
        private readonly Dictionary<string, ulong> _labels = [];
        private readonly List<LoadedModule> _modules = [];
        private readonly List<LoadedModule> _searchOrder = [];
        private readonly Dictionary<ulong, ulong> _slotWrites = [];
        private readonly List<(ulong Address, string Label)> _pointerFixups = [];
        private Allocator _rtldHeap = null!;
        private Allocator _heap = null!;
        private readonly List<Allocator> _heaps = [];
        private LoadedModule _exe = null!;
        private LoadedModule? _rtldModule;
        private LoadedModule? _libthr;

        public Assembly(ProcessImageBuilder builder)
        {
            _b = builder;
            _v = builder.Version;
            _o = builder._options;
            _layout = _v.Libthr;
        }

        public ProcessImage Run()
        {
            var (exeImage, exePath, arguments, environment) = _b._executable ?? throw new InvalidOperationException("no executable set");
            var liveSpecs = _b._threads.OfType<ThreadSpec>().ToList();
            if (liveSpecs.Count == 0 || !liveSpecs[0].IsMainThread || liveSpecs.Skip(1).Any(t => t.IsMainThread) || _b._threads[0] is not ThreadSpec)
            {
                throw new InvalidOperationException("the first thread added must be the (only) main thread");
            }

            if (liveSpecs.Select(t => t.Lwp).Distinct().Count() != liveSpecs.Count)
            {
                throw new InvalidOperationException("LWP ids must be unique");
            }

            MapModules(exeImage, exePath);
            MapHeaps();
            var stackTops = PlaceStacks(liveSpecs);
            MapStacks(stackTops, liveSpecs);
            CheckRegions();

            // rtld's startup allocations: Obj_Entry (with the link_map) per object, then the main TLS block.
            var objEntries = WriteLinkMap();
            var (auxv, argcAddress) = WriteInitialStack(exePath, arguments, environment);

            // libthr: struct pthread for every thread (the main thread's first), TCB + dtv per thread.
            var pthreads = new Dictionary<object, ulong>();
            var tcbs = new Dictionary<object, ulong>();
            foreach (var t in _b._threads)
            {
                var pinned = t switch { ThreadSpec s => s.PthreadAddress, ExitedThreadSpec e => e.PthreadAddress, _ => null };
                var size = (ulong)_layout.Size;
                pthreads[t] = pinned is ulong p ? ReserveInHeap(p, size, "struct pthread") : _heap.Allocate(RoundUp(size, 256), 64);
                if (t is ThreadSpec || (t is ExitedThreadSpec { InThreadList: true }))
                {
                    tcbs[t] = AllocateTcb(pthreads[t]);
                }
            }

            foreach (var t in liveSpecs)
            {
                AddLabel($"pthread:{t.Lwp}", pthreads[t]);
                AddLabel($"tcb:{t.Lwp}", tcbs[t]);
            }

            foreach (var e in _b._threads.OfType<ExitedThreadSpec>())
            {
                AddLabel($"pthread:exited:{e.FormerLwp}", pthreads[e]);
            }

            PlaceHeapData();

            // Threads: simulate the calls, write the stacks.
            var threadImages = new List<ThreadImage>();
            for (var i = 0; i < liveSpecs.Count; i++)
            {
                var spec = liveSpecs[i];
                var top = stackTops[spec];
                var entryRsp = spec.IsMainThread ? argcAddress : top - 8;
                threadImages.Add(SimulateThread(spec, i, entryRsp, top, pthreads[spec], tcbs[spec], write: true));
            }

            WritePthreads(liveSpecs, pthreads, tcbs, stackTops);
            WriteRuntimeLinkage(objEntries);
            foreach (var (address, label) in _pointerFixups)
            {
                Write64(address, _labels.TryGetValue(label, out var target) ? target : throw new KeyNotFoundException($"pointer to unknown label {label}"));
            }

            var exited = _b._threads.OfType<ExitedThreadSpec>()
                .Select(e => new ExitedThreadImage(e.FormerLwp, pthreads[e], tcbs.TryGetValue(e, out var tcb) ? tcb : null, e.InThreadList))
                .ToList();

            var regions = _regions.OrderBy(r => r.Start)
                .Select(r => new MemoryRegion(r.Start, r.End, r.Protection, r.Type, r.Flags, r.Path, r.FileOffset, r.Contents ?? ReadOnlyMemory<byte>.Empty))
                .ToList();

            return new ProcessImage(
                _v,
                exePath,
                arguments,
                environment,
                regions,
                [.. _modules.OrderBy(m => m.Start)],
                threadImages,
                exited,
                auxv,
                new Dictionary<string, ulong>(_labels),
                _libthr?.Image.FindDataObject("_thread_list") is { } list ? _libthr.RuntimeAddress(list.Address) : null);
        }

        // ---------------- address space ----------------

        private void MapModules(ElfImage exeImage, string exePath)
        {
            _exe = new LoadedModule(exeImage, exePath, exeImage.LinkBase);
            MapModule(_exe, hole: false, rtldHeap: false);
            _modules.Add(_exe);
            _searchOrder.Add(_exe);

            ulong cursor;
            if (_b._rtld is { } rtld)
            {
                // imgact_elf: the interpreter goes at vm_daddr + maxdsiz (32 GiB): 0x800000000 + data start.
                var rtldBase = _o.RtldBase ?? (0x800000000UL + PageDown(exeImage.DataSegment.VirtualAddress));
                _rtldModule = new LoadedModule(rtld.Image, rtld.Path, rtldBase);
                MapModule(_rtldModule, hole: false, rtldHeap: true);
                _modules.Add(_rtldModule);
                cursor = PageUp(_rtldModule.End);
            }
            else
            {
                cursor = 0x800600000;
            }

            cursor = _o.LibraryBase ?? cursor;
            foreach (var (image, path) in _b._libraries)
            {
                var module = new LoadedModule(image, path, cursor);
                MapModule(module, hole: true, rtldHeap: false);
                _modules.Add(module);
                _searchOrder.Add(module);
                cursor = PageUp(module.End);
                if (image.FindDataObject("_thread_list") is not null)
                {
                    _libthr = module;
                }
            }

            if (_rtldModule is not null)
            {
                _searchOrder.Add(_rtldModule);
            }

            var heapBase = _o.DefaultHeapBase ?? Math.Max(0x801000000UL, RoundUp(cursor, TwoMiB));
            _heapStart = heapBase;
        }

        private ulong _heapStart;

        private void MapModule(LoadedModule module, bool hole, bool rtldHeap)
        {
            var image = module.Image;
            var file = image.FileBytes;
            var textStart = module.Start;
            var textEnd = PageUp(textStart + image.TextSegment.FileSize);
            var textFlags = MemoryRegionFlags.CopyOnWrite | MemoryRegionFlags.NeedsCopy | (_o.TextNoCoreDump ? MemoryRegionFlags.NoCoreDump : 0);
            AddRegion(textStart, textEnd, MemoryProtection.ReadExecute, VmObjectType.Vnode, textFlags, module.Path, 0, FileSlice(file, 0, textEnd - textStart));

            var data = image.DataSegment;
            var dataStart = PageDown(module.RuntimeAddress(data.VirtualAddress));
            var dataFileEnd = module.RuntimeAddress(data.VirtualAddress) + data.FileSize;
            var dataEnd = PageUp(dataFileEnd);
            var dataOffset = PageDown(data.FileOffset);
            var dataBytes = FileSlice(file, dataOffset, dataEnd - dataStart);
            // The part of the last file page beyond the segment's file size is .bss: rtld zeroes it.
            Array.Clear(dataBytes, (int)(dataFileEnd - dataStart), (int)(dataEnd - dataFileEnd));

            if (rtldHeap)
            {
                var heapEnd = textEnd + _o.RtldHeapSize;
                if (heapEnd > dataStart)
                {
                    throw new InvalidOperationException("rtld's heap does not fit between its text and data");
                }

                AddRegion(textEnd, heapEnd, MemoryProtection.ReadWrite, VmObjectType.Default, MemoryRegionFlags.None, null, 0, new byte[heapEnd - textEnd]);
                _rtldHeap = new Allocator(textEnd, heapEnd, textEnd + 0x40);
            }
            else if (hole && dataStart > textEnd)
            {
                // rtld reserves the whole span of a library and leaves the gap inaccessible (corpus: "---" entries, NOCOREDUMP).
                AddRegion(textEnd, dataStart, MemoryProtection.None, VmObjectType.Default, MemoryRegionFlags.NoCoreDump, null, textEnd - textStart, null);
            }

            AddRegion(dataStart, dataEnd, MemoryProtection.ReadWrite, VmObjectType.Vnode, MemoryRegionFlags.CopyOnWrite, module.Path, dataOffset, dataBytes);
            var bssEnd = PageUp(module.RuntimeAddress(data.End));
            if (bssEnd > dataEnd)
            {
                AddRegion(dataEnd, bssEnd, MemoryProtection.ReadWrite, VmObjectType.Default, MemoryRegionFlags.None, null, 0, new byte[bssEnd - dataEnd]);
            }
        }

        private void MapHeaps()
        {
            var main = new HeapRegionSpec(_heapStart, _o.DefaultHeapSize);
            foreach (var h in _o.ExtraHeapRegions.Prepend(main))
            {
                if (h.Start % Page != 0 || h.Size % Page != 0 || h.Size == 0)
                {
                    throw new ArgumentException($"heap region 0x{h.Start:x}+0x{h.Size:x} is not page aligned");
                }

                AddRegion(h.Start, h.Start + h.Size, MemoryProtection.ReadWrite, VmObjectType.Default, MemoryRegionFlags.None, null, 0, new byte[h.Size]);
                _heaps.Add(new Allocator(h.Start, h.Start + h.Size, h.Start + 0x1000));
            }

            _heap = _heaps[0];
        }

        private Dictionary<ThreadSpec, ulong> PlaceStacks(List<ThreadSpec> threads)
        {
            var tops = new Dictionary<ThreadSpec, ulong>();
            var span = _o.ThreadStackSize + _o.GuardSize;
            var taken = new List<(ulong Low, ulong High)>();
            foreach (var t in threads.Where(t => !t.IsMainThread))
            {
                ulong? top = t.StackTop;
                if (top is null && t.FrameData.FirstOrDefault(d => d.Address is not null) is { } pin)
                {
                    top = TopForPinnedData(t, pin);
                }

                if (top is ulong fixedTop)
                {
                    if (fixedTop % Page != 0)
                    {
                        throw new ArgumentException($"LWP {t.Lwp}: stack top 0x{fixedTop:x} is not page aligned");
                    }

                    tops[t] = fixedTop;
                    taken.Add((fixedTop - span, fixedTop));
                }
            }

            // libthr (thr_stack.c): the first stack ends below USRSTACK − RLIMIT_STACK − guard; each
            // stack is stacksize + guard bytes, guard at the bottom, handed out downwards.
            var next = _v.UserStackTop - _o.StackLimit - _o.GuardSize;
            foreach (var t in threads.Where(t => !t.IsMainThread && !tops.ContainsKey(t)))
            {
                while (taken.Any(r => r.Low < next && next - span < r.High))
                {
                    next -= span;
                }

                tops[t] = next;
                taken.Add((next - span, next));
                next -= span;
            }

            var main = threads.Single(t => t.IsMainThread);
            tops[main] = _v.UserStackTop;
            return tops;
        }

        private ulong TopForPinnedData(ThreadSpec t, FrameData pin)
        {
            // The layout below the top does not depend on the top: simulate once at a dummy top.
            const ulong dummyTop = 0x7fff00000000;
            var dry = SimulateThread(t, 0, dummyTop - 8, dummyTop, 0, 0, write: false);
            var frame = FindFrame(dry, pin.Function);
            var low = frame.LocalsStart - dummyTop;    // wraps: offsets below the top
            var high = frame.LocalsEnd - dummyTop;
            var address = pin.Address!.Value;
            var top = PageDown(address - low);
            if (address + (ulong)pin.Bytes.Length > top + high)
            {
                throw new ArgumentException($"LWP {t.Lwp}: {pin.Function}'s locals ({frame.LocalsEnd - frame.LocalsStart} bytes) cannot hold {pin.Label} at 0x{address:x} with a page-aligned stack top");
            }

            return top;
        }

        private void MapStacks(Dictionary<ThreadSpec, ulong> tops, List<ThreadSpec> threads)
        {
            var top = _v.UserStackTop;
            AddRegion(top - _o.MainStackSize, top, MemoryProtection.ReadWrite, VmObjectType.Default, MemoryRegionFlags.GrowsDown, null, 0, new byte[_o.MainStackSize]);
            if (_v.Major >= 13)
            {
                // 13/14 report the rest of RLIMIT_STACK as a reservation and a guard page below it (corpus cores).
                AddRegion(top - _o.StackLimit, top - _o.MainStackSize, MemoryProtection.None, ReservationType, MemoryRegionFlags.None, null, 0, null);
                AddRegion(top - _o.StackLimit - _o.GuardSize, top - _o.StackLimit, MemoryProtection.None, VmObjectType.None, MemoryRegionFlags.None, null, 0, null);
            }

            AddRegion(_v.SharedPageStart, _v.SharedPageEnd, MemoryProtection.ReadExecute, VmObjectType.Phys, MemoryRegionFlags.None, null, 0, new byte[_v.SharedPageEnd - _v.SharedPageStart]);

            foreach (var t in threads.Where(t => !t.IsMainThread))
            {
                var end = tops[t];
                var resident = Math.Min(_o.ThreadStackResident, _o.ThreadStackSize);
                AddRegion(end - resident, end, MemoryProtection.ReadWrite, VmObjectType.Default, MemoryRegionFlags.GrowsDown, null, 0, new byte[resident]);
                AddRegion(end - _o.ThreadStackSize - _o.GuardSize, end - resident, MemoryProtection.None, ReservationType, MemoryRegionFlags.None, null, 0, null);
            }
        }

        private VmObjectType ReservationType => _v.Major >= 14 ? VmObjectType.Guard : VmObjectType.None;

        private void CheckRegions()
        {
            var sorted = _regions.OrderBy(r => r.Start).ToList();
            for (var i = 1; i < sorted.Count; i++)
            {
                if (sorted[i].Start < sorted[i - 1].End)
                {
                    throw new InvalidOperationException($"regions overlap: {sorted[i - 1]} and {sorted[i]}");
                }
            }
        }

        // ---------------- rtld: Obj_Entry, link_map, r_debug ----------------

        private Dictionary<LoadedModule, ulong> WriteLinkMap()
        {
            var entries = new Dictionary<LoadedModule, ulong>();
            if (_rtldModule is null)
            {
                return entries;
            }

            // rtld's list: the executable, its libraries in load order, rtld itself last.
            var order = _searchOrder.ToList();
            var objSize = (ulong)(_layout.LinkMap + 48);
            foreach (var m in order)
            {
                entries[m] = _rtldHeap.Allocate(objSize, 16);
            }

            for (var i = 0; i < order.Count; i++)
            {
                var m = order[i];
                var obj = entries[m];
                var name = _rtldHeap.Allocate((ulong)Encoding.UTF8.GetByteCount(m.Path) + 1, 8);
                WriteBytes(name, [.. Encoding.UTF8.GetBytes(m.Path), 0]);
                var lm = obj + (ulong)_layout.LinkMap;
                // sys/sys/link_elf.h: l_addr (relocbase) comes first and l_base (mapbase) after l_prev; rtld's linkmap_add fills both.
                Write64(lm + 0, m.Bias);                   // l_addr (relocbase): 0 for the ET_EXEC executable
                Write64(lm + 8, name);                     // l_name
                Write64(lm + 16, m.RuntimeAddress(m.Image.DynamicAddress)); // l_ld
                Write64(lm + 24, i + 1 < order.Count ? entries[order[i + 1]] + (ulong)_layout.LinkMap : 0); // l_next
                Write64(lm + 32, i > 0 ? entries[order[i - 1]] + (ulong)_layout.LinkMap : 0);              // l_prev
                Write64(lm + 40, m.Start);                 // l_base (mapbase)
                Write32(obj + (ulong)_layout.TlsIndex, m.Image.FileName == "libc.so.7" ? 1u : 0u);
            }

            if (_rtldModule.Image.FindDataObject("r_debug") is { } rdebug)
            {
                var r = _rtldModule.RuntimeAddress(rdebug.Address);
                Write32(r, 1);                                                    // r_version
                Write64(r + 8, entries[order[0]] + (ulong)_layout.LinkMap);        // r_map
                if (_rtldModule.Image.FindFunction("r_debug_state") is { } brk)
                {
                    Write64(r + 16, _rtldModule.RuntimeAddress(brk.Address));      // r_brk
                }

                Write32(r + 24, 0);                                               // RT_CONSISTENT
                Write64(r + 32, _rtldModule.Start);                               // r_ldbase
                if (_exe.Image.DebugEntryAddress is ulong debug)
                {
                    Write64(_exe.RuntimeAddress(debug), r);                       // DT_DEBUG → &r_debug
                }
            }

            return entries;
        }

        /// <summary>
        /// rtld's malloc: its heap between text and data while it lasts, then anonymous memory (rtld_malloc.c's morecore
        /// maps pages anywhere), here the process heap; only processes of thousands of threads get that far.
        /// </summary>
        private ulong RtldMalloc(ulong size, ulong alignment) =>
            _rtldHeap.TryAllocate(size, alignment, out var at) ? at : _heap.Allocate(size, alignment);

        private ulong AllocateTcb(ulong pthread)
        {
            // rtld allocate_tls (variant II): static TLS block, then the TCB; %fs points at the TCB (spec §9.2).
            var block = RtldMalloc((ulong)_o.StaticTlsSize + 32, 16);
            var tcb = block + (ulong)_o.StaticTlsSize;
            var dtv = RtldMalloc(24, 16);
            Write64(dtv, 1);                 // generation
            Write64(dtv + 8, 1);             // highest module index
            Write64(dtv + 16, tcb - 0x40);   // libc's static TLS block
            Write64(tcb, tcb);               // tcb_self
            Write64(tcb + 8, dtv);           // tcb_dtv
            Write64(tcb + 16, pthread);      // tcb_thread
            return tcb;
        }

        // ---------------- main stack (exec_copyout_strings) ----------------

        private (List<AuxvEntry> Auxv, ulong ArgcAddress) WriteInitialStack(string exePath, IReadOnlyList<string> args, IReadOnlyList<string> env)
        {
            var psStrings = _v.PsStringsAddress;
            var destp = psStrings;
            var execPath = Encoding.UTF8.GetBytes(exePath + "\0");
            destp -= (ulong)execPath.Length;
            if (_v.Major >= 13)
            {
                destp &= ~7UL;   // 13/14 align it (corpus: 0x7fffffffdfc8); 11 does not (0x7fffffffefcd)
            }

            var execPathAddress = destp;
            WriteBytes(destp, execPath);

            destp -= 64;
            var canary = destp;
            var rng = new DeterministicRandom(0x5eed_ca9a);
            var canaryBytes = new byte[64];
            rng.Fill(canaryBytes);
            WriteBytes(canary, canaryBytes);

            destp -= 24;
            destp &= ~7UL;
            var pageSizes = destp;
            Write64(pageSizes, 0x1000);
            Write64(pageSizes + 8, 0x200000);
            Write64(pageSizes + 16, 0x40000000);

            var strings = args.Concat(env).Select(s => Encoding.UTF8.GetBytes(s + "\0")).ToList();
            destp -= (ulong)strings.Sum(s => s.Length);
            destp &= ~7UL;
            var stringAddresses = new List<ulong>();
            var at = destp;
            foreach (var s in strings)
            {
                stringAddresses.Add(at);
                WriteBytes(at, s);
                at += (ulong)s.Length;
            }

            var auxv = new List<AuxvEntry>();
            // auxv space is reserved (AT_COUNT pairs) below the strings; argv/envp/auxv follow argc upwards.
            var vectors = (ulong)(args.Count + 1 + env.Count + 1);
            var argv = (destp - (40 * 16) - (vectors * 8)) & ~0xfUL;
            var argc = argv - 8;   // ≡ 8 (mod 16): exec_setregs leaves rsp = &argc, as after a call
            Write64(argc, (ulong)args.Count);
            for (var i = 0; i < args.Count; i++)
            {
                Write64(argv + (ulong)(8 * i), stringAddresses[i]);
            }

            var envv = argv + (ulong)(8 * (args.Count + 1));
            for (var i = 0; i < env.Count; i++)
            {
                Write64(envv + (ulong)(8 * i), stringAddresses[args.Count + i]);
            }

            var auxAddress = envv + (ulong)(8 * (env.Count + 1));

            var exe = _exe.Image;
            auxv.Add(new(AuxvType.Phdr, _exe.RuntimeAddress(exe.ProgramHeadersAddress)));
            auxv.Add(new(AuxvType.Phent, 56));
            auxv.Add(new(AuxvType.Phnum, (ulong)exe.ProgramHeaderCount));
            auxv.Add(new(AuxvType.Pagesz, Page));
            auxv.Add(new(AuxvType.Flags, 0));
            auxv.Add(new(AuxvType.Entry, _exe.RuntimeAddress(exe.EntryPoint)));
            auxv.Add(new(AuxvType.Base, _rtldModule?.Start ?? 0));
            if (_v.Major >= 13)
            {
                auxv.Add(new(AuxvType.EhdrFlags, 0));
            }

            auxv.Add(new(AuxvType.ExecPath, execPathAddress));
            auxv.Add(new(AuxvType.OsRelDate, (ulong)_v.OsRelDate));
            auxv.Add(new(AuxvType.Canary, canary));
            auxv.Add(new(AuxvType.CanaryLen, 64));
            auxv.Add(new(AuxvType.NCpus, (ulong)_o.CpuCount));
            auxv.Add(new(AuxvType.PageSizes, pageSizes));
            auxv.Add(new(AuxvType.PageSizesLen, 24));
            auxv.Add(new(AuxvType.TimeKeep, _v.SharedPageStart + 0x20));
            auxv.Add(new(AuxvType.StackProt, 3));
            if (_v.Major >= 13)
            {
                auxv.Add(new(AuxvType.BsdFlags, 1));
                auxv.Add(new(AuxvType.Argc, (ulong)args.Count));
                auxv.Add(new(AuxvType.Argv, argv));
                auxv.Add(new(AuxvType.Envc, (ulong)env.Count));
                auxv.Add(new(AuxvType.Envv, envv));
                auxv.Add(new(AuxvType.PsStrings, psStrings));
            }

            auxv.Add(new(AuxvType.Null, 0));
            for (var i = 0; i < auxv.Count; i++)
            {
                Write64(auxAddress + (ulong)(16 * i), (ulong)auxv[i].Type);
                Write64(auxAddress + (ulong)(16 * i) + 8, auxv[i].Value);
            }

            // struct ps_strings { char **ps_argvstr; u_int ps_nargvstr; char **ps_envstr; u_int ps_nenvstr; }
            Write64(psStrings, argv);
            Write32(psStrings + 8, (uint)args.Count);
            Write64(psStrings + 16, envv);
            Write32(psStrings + 24, (uint)env.Count);
            return (auxv, argc);
        }

        // ---------------- heap data ----------------

        private ulong ReserveInHeap(ulong address, ulong size, string what)
        {
            var heap = _heaps.FirstOrDefault(h => address >= h.Start && address + size <= h.End)
                ?? throw new ArgumentException($"{what} at 0x{address:x} is not inside a heap region");
            heap.Reserve(address, size);
            return address;
        }

        private void PlaceHeapData()
        {
            foreach (var d in _b._heapData)
            {
                var address = d.Address is ulong fixedAddress
                    ? ReserveInHeap(fixedAddress, (ulong)d.Bytes.Length, d.Label)
                    : _heap.Allocate((ulong)d.Bytes.Length, (ulong)d.Alignment);
                AddLabel(d.Label, address);
                WriteBytes(address, d.Bytes);
                foreach (var (offset, label) in d.Pointers)
                {
                    _pointerFixups.Add((address + (ulong)offset, label));
                }
            }
        }

        private void AddLabel(string label, ulong address)
        {
            if (!_labels.TryAdd(label, address))
            {
                throw new ArgumentException($"label {label} used twice");
            }
        }

        // ---------------- threads ----------------

        private sealed record FunctionRef(LoadedModule Module, AssembledFunction Function);

        private static SimulatedFrame FindFrame(ThreadImage thread, string function)
        {
            var (module, name) = SplitQualified(function);
            return thread.Frames.FirstOrDefault(f => f.Function.Spec.AllNames.Contains(name) && (module is null || f.Module.FileName == module))
                ?? throw new ArgumentException($"LWP {thread.Lwp}: no frame of {function} in its chain");
        }

        private static (string? Module, string Name) SplitQualified(string name)
        {
            var bang = name.IndexOf('!', StringComparison.Ordinal);
            return bang > 0 ? (name[..bang], name[(bang + 1)..]) : (null, name);
        }

        private IEnumerable<FunctionRef> Candidates(string qualified)
        {
            var (module, name) = SplitQualified(qualified);
            foreach (var m in _modules)
            {
                if (module is not null && m.FileName != module && m.Path != module)
                {
                    continue;
                }

                if (m.Image.FindFunction(name) is { } f)
                {
                    yield return new FunctionRef(m, f);
                }
            }
        }

        /// <summary>rtld's symbol lookup for a PLT import: the executable, then the libraries in load order, then rtld.</summary>
        private FunctionRef? LookupGlobal(string name)
        {
            foreach (var m in _searchOrder)
            {
                if (m.Image.Functions.FirstOrDefault(f => f.Spec.Exported && f.Spec.AllNames.Contains(name)) is { } f)
                {
                    return new FunctionRef(m, f);
                }
            }

            return null;
        }

        private FunctionRef? DirectTarget(FunctionRef caller, CallSiteInfo site)
        {
            var target = site.DirectTarget!.Value;
            if (caller.Module.Image.Functions.FirstOrDefault(f => f.Address == target) is { } local)
            {
                return new FunctionRef(caller.Module, local);
            }

            var import = caller.Module.Image.Imports.FirstOrDefault(i => i.PltEntryAddress == target);
            return import is null ? null : LookupGlobal(import.Name);
        }

        private (FunctionRef Callee, CallSiteInfo Site) ResolveStep(FunctionRef caller, string calleeName, int lwp)
        {
            var candidates = Candidates(calleeName).ToList();
            if (candidates.Count == 0)
            {
                throw new ArgumentException($"LWP {lwp}: no function {calleeName}");
            }

            foreach (var site in caller.Function.CallSites)
            {
                switch (site.Spec.Kind)
                {
                    case CallKind.Direct:
                        var target = DirectTarget(caller, site);
                        if (target is not null && candidates.Contains(target))
                        {
                            return (target, site);
                        }

                        break;
                    case CallKind.ThroughSlot:
                    case CallKind.ThroughThreadPointer:
                        var fixedCallee = site.Spec.Callee is { } c ? candidates.FirstOrDefault(f => f.Function.Spec.AllNames.Contains(SplitQualified(c).Name)) : null;
                        if (site.Spec.Callee is null && candidates.Count > 1)
                        {
                            throw new ArgumentException($"LWP {lwp}: {calleeName} is ambiguous after {caller.Function.Name}; qualify it as module!name");
                        }

                        if (site.Spec.Callee is null || fixedCallee is not null)
                        {
                            return (fixedCallee ?? candidates[0], site);
                        }

                        break;
                }
            }

            throw new ArgumentException($"LWP {lwp}: {caller.Module.FileName}!{caller.Function.Name} has no call site that reaches {calleeName}");
        }

        private static ulong Pattern(int threadIndex, int depth, CalleeSavedRegister register) =>
            0x5eed_0000_0000_0000UL | ((ulong)(uint)(threadIndex & 0xff) << 32) | ((ulong)(uint)(depth & 0xff) << 16) | (uint)DwarfRegister.Of(register);

        private ThreadImage SimulateThread(ThreadSpec spec, int threadIndex, ulong entryRsp, ulong top, ulong pthread, ulong tcb, bool write)
        {
            if (spec.CallChain.Count < 2)
            {
                throw new ArgumentException($"LWP {spec.Lwp}: the call chain needs an outermost function and a syscall stub");
            }

            var outer = Candidates(spec.CallChain[0]).ToList();
            if (outer.Count != 1)
            {
                throw new ArgumentException($"LWP {spec.Lwp}: {spec.CallChain[0]} must name exactly one function (found {outer.Count})");
            }

            var chain = new List<(FunctionRef Ref, CallSiteInfo? Site)> { (outer[0], null) };
            for (var i = 1; i < spec.CallChain.Count; i++)
            {
                var (callee, site) = ResolveStep(chain[^1].Ref, spec.CallChain[i], spec.Lwp);
                chain[^1] = (chain[^1].Ref, site);
                chain.Add((callee, null));
            }

            var innermost = chain[^1].Ref;
            var load = innermost.Function.Spec.FaultingLoad;
            var faulting = spec.FaultBaseValue is not null;
            if (faulting && (load is null || innermost.Function.FaultInstructionAddress is null))
            {
                throw new ArgumentException($"LWP {spec.Lwp}: the innermost function {innermost.Function.Name} has no faulting load");
            }

            var syscall = 0;
            if (!faulting && (innermost.Function.Spec.SyscallNumber is not int number || innermost.Function.SyscallInstructionAddress is null))
            {
                throw new ArgumentException($"LWP {spec.Lwp}: the innermost function {innermost.Function.Name} is not a syscall stub");
            }
            else if (!faulting)
            {
                syscall = innermost.Function.Spec.SyscallNumber!.Value;
            }

            var regs = new Dictionary<CalleeSavedRegister, ulong>();
            foreach (var r in Enum.GetValues<CalleeSavedRegister>())
            {
                regs[r] = 0;
            }

            var cfa = entryRsp + 8;
            var frames = new List<SimulatedFrame>();
            for (var depth = 0; depth < chain.Count; depth++)
            {
                var (fn, site) = chain[depth];
                var frame = fn.Function.Frame;
                if (depth > 0 && write)
                {
                    var callerSite = chain[depth - 1].Site!;
                    Write64(cfa - 8, chain[depth - 1].Ref.Module.RuntimeAddress(callerSite.ReturnAddress));
                }

                for (var k = 0; k < frame.PushOrder.Count; k++)
                {
                    if (write)
                    {
                        Write64(cfa + (ulong)(long)frame.SaveSlotOffset(k), regs[frame.PushOrder[k]]);
                    }
                }

                foreach (var r in frame.PushOrder)
                {
                    regs[r] = Pattern(threadIndex, depth, r);
                }

                if (frame.UsesFramePointer)
                {
                    regs[CalleeSavedRegister.Rbp] = cfa - 16;
                }

                if (site?.Spec.Kind == CallKind.ThroughThreadPointer)
                {
                    regs[CalleeSavedRegister.Rbx] = pthread;
                    if (write)
                    {
                        var callee = chain[depth + 1].Ref;
                        Write64(pthread + (ulong)site.Spec.ThreadPointerDisplacement, callee.Module.RuntimeAddress(callee.Function.Address));
                    }
                }

                if (site?.Spec.Kind == CallKind.ThroughSlot && write)
                {
                    var callee = chain[depth + 1].Ref;
                    var slot = fn.Module.RuntimeAddress(site.SlotAddress!.Value);
                    var value = callee.Module.RuntimeAddress(callee.Function.Address);
                    if (_slotWrites.TryGetValue(slot, out var existing) && existing != value)
                    {
                        throw new ArgumentException($"LWP {spec.Lwp}: slot {site.Spec.SlotSymbol}[{site.Spec.SlotIndex}] already points elsewhere");
                    }

                    _slotWrites[slot] = value;
                }

                var rsp = cfa - (ulong)frame.FrameSize;
                var pc = site is not null
                    ? fn.Module.RuntimeAddress(site.ReturnAddress)
                    : faulting
                        ? fn.Module.RuntimeAddress(innermost.Function.FaultInstructionAddress!.Value)
                        : fn.Module.RuntimeAddress(innermost.Function.SyscallInstructionAddress!.Value) + (spec.StopState == ThreadStopState.Restarting ? 0UL : 2UL);
                var localsEnd = rsp + (ulong)frame.LocalsSize;
                frames.Add(new SimulatedFrame(fn.Module, fn.Function, pc, cfa, rsp, new Dictionary<CalleeSavedRegister, ulong>(regs), rsp, localsEnd));
                cfa = rsp;
            }

            var innerRsp = frames[^1].Rsp;
            var lowest = spec.IsMainThread ? _v.UserStackTop - _o.MainStackSize : top - Math.Min(_o.ThreadStackResident, _o.ThreadStackSize);
            if (innerRsp - 256 < lowest)
            {
                throw new InvalidOperationException($"LWP {spec.Lwp}: the chain needs more than the {top - lowest}-byte stack");
            }

            // Frame data (strings in locals).
            var dataAddresses = new Dictionary<string, ulong>();
            foreach (var d in write ? spec.FrameData : [])
            {
                var frame = frames.FirstOrDefault(f => f.Function.Spec.AllNames.Contains(SplitQualified(d.Function).Name))
                    ?? throw new ArgumentException($"LWP {spec.Lwp}: no frame of {d.Function} for {d.Label}");
                var address = d.Address ?? frame.LocalsStart + (ulong)d.OffsetInLocals;
                if (address < frame.LocalsStart || address + (ulong)d.Bytes.Length > frame.LocalsEnd)
                {
                    throw new ArgumentException($"LWP {spec.Lwp}: {d.Label} at 0x{address:x} is outside {d.Function}'s locals [0x{frame.LocalsStart:x}, 0x{frame.LocalsEnd:x})");
                }

                dataAddresses[d.Label] = address;
                WriteBytes(address, d.Bytes);
                AddLabel(d.Label, address);
            }

            if (write && spec.StaleStackValues)
            {
                WriteStaleValues(spec, frames, [.. spec.FrameData.Select(d => (dataAddresses[d.Label], (ulong)d.Bytes.Length))]);
            }

            ulong Arg(int index)
            {
                if (index >= spec.SyscallArguments.Count)
                {
                    return 0;
                }

                var a = spec.SyscallArguments[index];
                if (a.Label is null)
                {
                    return a.Value;
                }

                if (dataAddresses.TryGetValue(a.Label, out var local))
                {
                    return local;
                }

                return write ? _labels.TryGetValue(a.Label, out var global) ? global : throw new KeyNotFoundException($"LWP {spec.Lwp}: unknown label {a.Label}") : 0;
            }

            var args = Enumerable.Range(0, 6).Select(Arg).ToList();
            var inner = frames[^1];
            if (faulting)
            {
                // The faulting function has just copied its arguments into the registers it keeps
                // (FunctionAssembler.EmitBody): they hold rdi, rsi, … as the code says, the base included.
                var frame = inner.Function.Frame;
                var kept = frame.PushOrder.Where(r => !(frame.UsesFramePointer && r == CalleeSavedRegister.Rbp)).ToList();
                var saved = new Dictionary<CalleeSavedRegister, ulong>(inner.CalleeSaved);
                for (var i = 0; i < kept.Count; i++)
                {
                    saved[kept[i]] = args[i % args.Count];
                }

                if (saved[load!.Base] != spec.FaultBaseValue!.Value)
                {
                    throw new ArgumentException($"LWP {spec.Lwp}: {innermost.Function.Name} copies argument {kept.IndexOf(load.Base) + 1} into {load.Base}, which is 0x{saved[load.Base]:x}, not the fault's base value 0x{spec.FaultBaseValue.Value:x}");
                }

                inner = inner with { CalleeSaved = saved };
                frames[^1] = inner;
            }

            var interrupted = spec.StopState == ThreadStopState.Interrupted;
            var registers = new Amd64Registers
            {
                // A faulting thread is not in a system call: rax holds what its code last left there (0 here).
                Rax = faulting ? 0UL : interrupted ? 4UL : (ulong)syscall,
                Rdi = args[0],
                Rsi = args[1],
                Rdx = args[2],
                Rcx = args[3],
                R10 = args[3],
                R8 = args[4],
                R9 = args[5],
                R11 = 0x246,
                Rbx = inner.CalleeSaved[CalleeSavedRegister.Rbx],
                Rbp = inner.CalleeSaved[CalleeSavedRegister.Rbp],
                R12 = inner.CalleeSaved[CalleeSavedRegister.R12],
                R13 = inner.CalleeSaved[CalleeSavedRegister.R13],
                R14 = inner.CalleeSaved[CalleeSavedRegister.R14],
                R15 = inner.CalleeSaved[CalleeSavedRegister.R15],
                Rip = inner.Pc,
                Rsp = inner.Rsp,
                Rflags = interrupted ? 0x247UL : 0x246UL,
                FsBase = tcb,
            };

            frames.Reverse();
            var stackStart = spec.IsMainThread ? _v.UserStackTop - _o.MainStackSize : top - Math.Min(_o.ThreadStackResident, _o.ThreadStackSize);
            return new ThreadImage(
                spec.Lwp,
                spec.Name ?? System.IO.Path.GetFileName(_exe.Path),
                spec.IsMainThread,
                registers,
                spec.StopState,
                syscall,
                args,
                pthread,
                tcb,
                stackStart,
                top,
                frames)
            {
                FaultAddress = faulting ? spec.FaultBaseValue!.Value + (ulong)(long)load!.Displacement : null,
            };
        }

        private void WriteStaleValues(ThreadSpec spec, List<SimulatedFrame> frames, List<(ulong Address, ulong Length)> data)
        {
            var inChain = frames.Select(f => f.Function).ToHashSet();
            var seed = (int)(uint)spec.Lwp;
            for (var i = 0; i < frames.Count; i++)
            {
                var frame = frames[i];
                var slot = frame.LocalsEnd - 16;
                if (frame.LocalsEnd - frame.LocalsStart < 32 || data.Any(d => d.Address < frame.LocalsEnd && slot < d.Address + d.Length))
                {
                    continue;
                }

                // A call site of a function that is not on this stack: what a previous, returned call left behind.
                var others = _modules.SelectMany(m => m.Image.Functions.Where(f => !inChain.Contains(f)).SelectMany(f => f.CallSites.Select(c => m.RuntimeAddress(c.ReturnAddress)))).ToList();
                var functions = _modules.SelectMany(m => m.Image.Functions.Select(f => m.RuntimeAddress(f.Address))).ToList();
                if (others.Count == 0)
                {
                    continue;
                }

                Write64(slot, others[(seed + i) % others.Count]);
                Write64(slot + 8, functions[(seed + (3 * i)) % functions.Count] + 1);
            }
        }

        // ---------------- libthr ----------------

        private void WritePthreads(
            List<ThreadSpec> live,
            Dictionary<object, ulong> pthreads,
            Dictionary<object, ulong> tcbs,
            Dictionary<ThreadSpec, ulong> stackTops)
        {
            var l = _layout;
            foreach (var t in _b._threads)
            {
                var p = pthreads[t];
                var dead = t is ExitedThreadSpec;
                Write64(p + (ulong)l.Tid, dead ? (ulong)LibthrLayout.TidTerminated : (ulong)((ThreadSpec)t).Lwp);
                Write32(p + (ulong)l.State, dead ? (uint)LibthrLayout.StateDead : (uint)LibthrLayout.StateRunning);
                Write32(p + (ulong)l.Magic, LibthrLayout.ThreadMagic);
                Write32(p + (ulong)l.AttrFlags, 0x2); // PTHREAD_SCOPE_SYSTEM
                Write64(p + (ulong)l.Tcb, tcbs.TryGetValue(t, out var tcb) ? tcb : 0);
                if (t is ThreadSpec spec)
                {
                    var stackSize = spec.IsMainThread ? _o.StackLimit : _o.ThreadStackSize;
                    Write64(p + (ulong)l.AttrStackAddr, stackTops[spec] - stackSize);
                    Write64(p + (ulong)l.AttrStackSize, stackSize);
                    Write64(p + (ulong)l.AttrGuardSize, _o.GuardSize);
                    if (!spec.IsMainThread)
                    {
                        var arg = _heap.Allocate(64, 16);
                        Write64(arg, p);
                        Write64(p + (ulong)l.Arg, arg);
                    }

                    if (spec.PthreadName is { } name && l.Name is int nameOffset)
                    {
                        var text = _heap.Allocate((ulong)Encoding.UTF8.GetByteCount(name) + 1, 16);
                        WriteBytes(text, [.. Encoding.UTF8.GetBytes(name), 0]);
                        Write64(p + (ulong)nameOffset, text);
                    }

                    foreach (var (offset, value) in spec.PthreadWords)
                    {
                        Write64(p + (ulong)offset, value);
                    }
                }
            }

            if (_libthr is null)
            {
                return;
            }

            // _thread_list: THR_LIST_ADD inserts at the head, so the newest thread comes first, the main thread last.
            var listed = _b._threads.Where(t => t is ThreadSpec || t is ExitedThreadSpec { InThreadList: true }).Reverse().Select(t => pthreads[t]).ToList();
            var head = _libthr.SymbolAddress("_thread_list");
            Write64(head, listed.Count > 0 ? listed[0] : 0);
            var prevNextField = head;
            for (var i = 0; i < listed.Count; i++)
            {
                var p = listed[i];
                Write64(p + (ulong)l.Tle, i + 1 < listed.Count ? listed[i + 1] : 0);   // tqe_next
                Write64(p + (ulong)l.Tle + 8, prevNextField);                             // tqe_prev = &previous tqe_next
                prevNextField = p + (ulong)l.Tle;
            }

            Write64(head + 8, prevNextField); // tqh_last
            Write32(_libthr.SymbolAddress("_thread_active_threads"), (uint)live.Count);
        }

        private void WriteRuntimeLinkage(Dictionary<LoadedModule, ulong> objEntries)
        {
            // .got.plt: [1] = Obj_Entry, [2] = _rtld_bind_start, imports resolved (they have been called).
            var bindStart = _rtldModule?.Image.FindFunction("_rtld_bind_start") is { } b ? _rtldModule.RuntimeAddress(b.Address) : 0;
            foreach (var m in _modules)
            {
                if (m.Image.Imports.Count == 0)
                {
                    continue;
                }

                var got = m.RuntimeAddress(m.Image.GotPltAddress);
                Write64(got, m.RuntimeAddress(m.Image.DynamicAddress));
                Write64(got + 8, objEntries.TryGetValue(m, out var obj) ? obj : 0);
                Write64(got + 16, bindStart);
                foreach (var import in m.Image.Imports)
                {
                    if (LookupGlobal(import.Name) is { } target)
                    {
                        Write64(m.RuntimeAddress(import.GotSlotAddress), target.Module.RuntimeAddress(target.Function.Address));
                    }
                    else
                    {
                        Write64(m.RuntimeAddress(import.GotSlotAddress), m.RuntimeAddress(import.PltEntryAddress) + 6);
                    }
                }
            }

            foreach (var (slot, value) in _slotWrites)
            {
                Write64(slot, value);
            }
        }

        // ---------------- memory ----------------

        private void AddRegion(ulong start, ulong end, MemoryProtection protection, VmObjectType type, MemoryRegionFlags flags, string? path, ulong offset, byte[]? contents)
        {
            if (end <= start)
            {
                return;
            }

            _regions.Add(new RegionBuilder(start, end, protection, type, flags, path, offset, contents));
        }

        private void WriteBytes(ulong address, ReadOnlySpan<byte> bytes)
        {
            var done = 0;
            while (done < bytes.Length)
            {
                var at = address + (ulong)done;
                var region = _regions.FirstOrDefault(r => at >= r.Start && at < r.End && r.Contents is not null)
                    ?? throw new InvalidOperationException($"write to 0x{at:x}, which is not in a readable region");
                var offset = (int)(at - region.Start);
                var count = Math.Min(bytes.Length - done, region.Contents!.Length - offset);
                bytes.Slice(done, count).CopyTo(region.Contents.AsSpan(offset));
                done += count;
            }
        }

        private void Write64(ulong address, ulong value)
        {
            Span<byte> b = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(b, value);
            WriteBytes(address, b);
        }

        private void Write32(ulong address, uint value)
        {
            Span<byte> b = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(b, value);
            WriteBytes(address, b);
        }

        private static byte[] FileSlice(byte[] file, ulong offset, ulong length)
        {
            var bytes = new byte[length];
            if (offset < (ulong)file.Length)
            {
                var count = (int)Math.Min(length, (ulong)file.Length - offset);
                Array.Copy(file, (long)offset, bytes, 0, count);
            }

            return bytes;
        }
    }

    private static ulong PageDown(ulong value) => value & ~(Page - 1);

    private static ulong PageUp(ulong value) => RoundUp(value, Page);

    private static ulong RoundUp(ulong value, ulong alignment) => (value + alignment - 1) / alignment * alignment;

    private sealed class RegionBuilder(ulong start, ulong end, MemoryProtection protection, VmObjectType type, MemoryRegionFlags flags, string? path, ulong offset, byte[]? contents)
    {
        public ulong Start { get; } = start;
        public ulong End { get; } = end;
        public MemoryProtection Protection { get; } = protection;
        public VmObjectType Type { get; } = type;
        public MemoryRegionFlags Flags { get; } = flags;
        public string? Path { get; } = path;
        public ulong FileOffset { get; } = offset;
        public byte[]? Contents { get; } = contents;

        public override string ToString() => $"{Start:x}-{End:x} {Path}";
    }

    /// <summary>A bump allocator over one region that skips reserved (pinned) ranges.</summary>
    private sealed class Allocator(ulong start, ulong end, ulong first)
    {
        private readonly List<(ulong Start, ulong End)> _used = [];
        private ulong _next = first;

        public ulong Start { get; } = start;

        public ulong End { get; } = end;

        public void Reserve(ulong address, ulong size)
        {
            if (address < Start || address + size > End)
            {
                throw new ArgumentOutOfRangeException(nameof(address), $"0x{address:x} is outside 0x{Start:x}-0x{End:x}");
            }

            if (_used.Any(u => u.Start < address + size && address < u.End))
            {
                throw new ArgumentException($"0x{address:x}+0x{size:x} overlaps another placed object");
            }

            _used.Add((address, address + size));
        }

        public ulong Allocate(ulong size, ulong alignment) =>
            TryAllocate(size, alignment, out var at) ? at : throw new InvalidOperationException($"region 0x{Start:x}-0x{End:x} is full");

        public bool TryAllocate(ulong size, ulong alignment, out ulong address)
        {
            var at = RoundUp(_next, alignment);
            while (_used.FirstOrDefault(u => u.Start < at + size && at < u.End) is { End: > 0 } clash)
            {
                at = RoundUp(clash.End, alignment);
            }

            address = at;
            if (at + size > End)
            {
                return false;
            }

            _used.Add((at, at + size));
            _next = at + size;
            return true;
        }
    }

    /// <summary>xorshift64*: deterministic filler (stack canary) without System.Random's version dependence.</summary>
    private sealed class DeterministicRandom(ulong seed)
    {
        private ulong _state = seed == 0 ? 1 : seed;

        public void Fill(Span<byte> bytes)
        {
            for (var i = 0; i < bytes.Length; i++)
            {
                _state ^= _state >> 12;
                _state ^= _state << 25;
                _state ^= _state >> 27;
                bytes[i] = (byte)((_state * 0x2545F4914F6CDD1DUL) >> 56);
            }
        }
    }
}
