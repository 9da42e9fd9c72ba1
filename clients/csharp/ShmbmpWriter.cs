// ShmbmpWriter.cs: a drop-in C# producer of shmbmp framed regions (PROTOCOL.md, SHMBMP02).
//
// Add this file to the program that makes the frames (the post's WinForms program), allow
// unsafe code (Project > Properties > Build > "Allow unsafe code", or
// <AllowUnsafeBlocks>true</AllowUnsafeBlocks> in the .csproj), and publish each frame as a
// whole BMP file:
//
//     var writer = new ShmbmpWriter("test1", maxFrameBytes);  // once; keep it while you publish
//     writer.Publish(bmpBytes);                                 // every frame
//     writer.Dispose();                                         // at the end
//
// Readers (`shmbmp read --name test1`, the Rust `shm::Reader`, the Python package) then get
// whole frames, never a half-written one, and decode them where they lie.
//
// Where the region lives:
// - Windows: the named block NAME (MemoryMappedFile.CreateOrOpen, what the post's raw
//   writer uses), "Local\NAME" or "Global\NAME" as given. It exists only while this writer or
//   a reader holds it open.
// - Linux (Mono or .NET): the file /dev/shm/NAME, mode 0600 (CreateOrOpen on Mono/Linux makes
//   nothing another process can open, so the file is mapped with CreateFromFile). An existing
//   file is reused only if it is a regular file this user owns with mode 0600 or narrower.
//
// One writer per region: the constructor throws ShmbmpBusyException while another process (or
// another ShmbmpWriter) writes NAME. A region of the same shape is reused, its frame numbers
// continued; another shape or protocol is refused (IOException). This writer honours readers'
// leases (so they decode in place) and does not wake them: readers poll (a few microseconds
// to 1 ms). A reader that dies while pinning a slot keeps that slot out of use until another
// reader takes its lease. Call Publish from one thread at a time.
//
// Tested on Linux under Mono against the Rust reader (tests/interop.rs); the Windows branch
// follows the same protocol with the Windows names (PROTOCOL.md, "Windows").

using System;
using System.IO;
using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading;

/// <summary>Another writer holds the region.</summary>
public sealed class ShmbmpBusyException : IOException
{
    public ShmbmpBusyException(string message) : base(message) { }
}

/// <summary>Publishes BMP frames into a shmbmp framed region (protocol SHMBMP02).</summary>
public sealed unsafe class ShmbmpWriter : IDisposable
{
    const int RegionHeader = 4096;
    const int SlotHeader = 64;
    const int LeasesAt = 64;
    const int MaxLeases = (RegionHeader - LeasesAt) / 8;
    const int FlagLeases = 2;
    static readonly long Magic = BitConverter.ToInt64(Encoding.ASCII.GetBytes("SHMBMP02"), 0);
    static readonly DateTime Epoch = new DateTime(1970, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    readonly string name;
    readonly int slots;
    readonly int leases;
    readonly long capacity;
    readonly int pid;
    FileStream file;               // Linux: carries the OFD lock on byte 0
    EventWaitHandle writerLock;    // Windows: the lock exists while this handle does
    MemoryMappedFile mmf;
    MemoryMappedViewAccessor view;
    byte* p;
    long next;
    long cursor;

    /// <summary>The region's name.</summary>
    public string Name { get { return name; } }

    /// <summary>Most BMP bytes one frame may have (maxFrameBytes rounded up to 64).</summary>
    public long SlotCapacity { get { return capacity; } }

    /// <summary>Creates the region NAME (or reuses one of the same shape) with `slots` slots
    /// of at least `maxFrameBytes` bytes, and becomes its only writer.</summary>
    public ShmbmpWriter(string name, long maxFrameBytes, int slots = 4)
    {
        if (string.IsNullOrEmpty(name))
            throw new ArgumentException("the region name is empty", "name");
        if (slots < 1 || slots > 1024)
            throw new ArgumentOutOfRangeException("slots", "slots must be 1..1024");
        if (maxFrameBytes <= 0)
            throw new ArgumentOutOfRangeException("maxFrameBytes", "maxFrameBytes must be positive");
        this.name = name;
        this.slots = slots;
        leases = Math.Min(Math.Max(slots - 2, 0), MaxLeases);
        capacity = (maxFrameBytes + 63) / 64 * 64;
        pid = System.Diagnostics.Process.GetCurrentProcess().Id;
        long size = RegionHeader + slots * (SlotHeader + capacity);
        try
        {
            if (Environment.OSVersion.Platform == PlatformID.Win32NT)
                OpenWindows(size);
            else
                OpenLinux(size);
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
            p += view.PointerOffset;
            Take(size, view.Capacity);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    void OpenWindows(long size)
    {
        bool created;
        writerLock = new EventWaitHandle(false, EventResetMode.ManualReset, name + ".shmbmp-lock-0", out created);
        if (!created)
            throw new ShmbmpBusyException(name + " already has a writer: one writer per region");
        mmf = MemoryMappedFile.CreateOrOpen(name, size, MemoryMappedFileAccess.ReadWrite);
        view = mmf.CreateViewAccessor(0, 0);
    }

    void OpenLinux(long size)
    {
        string path = "/dev/shm/" + name;
        if (name.Contains("/") || name == "." || name == "..")
            throw new ArgumentException("a region name has no '/' and is not . or ..", "name");
        file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite);
        int fd = file.SafeFileHandle.DangerousGetHandle().ToInt32();
        var lk = new Flock { l_type = F_WRLCK, l_whence = 0, l_start = 0, l_len = 1, l_pid = 0 };
        if (fcntl(fd, F_OFD_SETLK, ref lk) != 0)
        {
            int e = Marshal.GetLastWin32Error();
            if (e == EAGAIN || e == EACCES)
                throw new ShmbmpBusyException(path + " already has a writer: one writer per region");
            throw new IOException("locking " + path + ": errno " + e);
        }
        // Trust: the name is no symlink, the file is ours, and (if not new) no wider than 0600.
        var opened = Stat(fd, "", AT_EMPTY_PATH);
        var named = Stat(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW);
        string refuse = null;
        if ((named.Mode & S_IFMT) != S_IFREG || named.Ino != opened.Ino || named.Dev != opened.Dev)
            refuse = "it is not a regular file";
        else if (opened.Uid != geteuid())
            refuse = "it belongs to uid " + opened.Uid + ", not to this user";
        else if (file.Length != 0 && (opened.Mode & 0xfff & ~0x180) != 0)
            refuse = "its mode " + Convert.ToString(opened.Mode & 0xfff, 8) + " is wider than 600";
        if (refuse != null)
            throw new IOException("refusing to use " + path + ": " + refuse + "; remove it or pick another name");
        if (file.Length == 0)
        {
            fchmod(fd, 0x180);  // 0600: only this user (FileStream used the umask)
            file.SetLength(size);
        }
        mmf = MemoryMappedFile.CreateFromFile(file, null, file.Length, MemoryMappedFileAccess.ReadWrite,
            HandleInheritability.None, true);
        view = mmf.CreateViewAccessor(0, file.Length);
    }

    void Take(long size, long mapped)
    {
        long magic = Volatile.Read(ref *(long*)p);
        if (magic == 0)
        {
            // Blank: created just now (a file we sized, or a new Windows block, all zeros).
            if (mapped < size)
                throw new IOException(name + " is smaller (" + mapped + " bytes) than " + size + " bytes");
            *(uint*)(p + 8) = (uint)slots;
            *(uint*)(p + 12) = (uint)leases;
            *(long*)(p + 16) = capacity;
            Volatile.Write(ref *(long*)p, Magic);  // the magic last
            next = 1;
            cursor = 0;
        }
        else
        {
            if (magic != Magic)
                throw new IOException(name + " is not a shmbmp region of protocol SHMBMP02 (it starts with \"" +
                    Encoding.ASCII.GetString(BitConverter.GetBytes(magic)) + "\"): remove it or pick another name");
            uint s = *(uint*)(p + 8), l = *(uint*)(p + 12);
            long c = *(long*)(p + 16);
            if (s != slots || l != leases || c != capacity || mapped < size)
                throw new IOException(name + " already has " + s + " slots of " + c + " bytes, " + l +
                    " leases (wanted " + slots + " of " + capacity + ", " + leases + "): remove it or use that shape");
            long latest = Volatile.Read(ref *(long*)(p + 24));
            next = (long)((ulong)latest >> 16) + 1;
            cursor = ((latest & 0xffff) + 1) % slots;
        }
        *(int*)(p + 40) = pid;
        Interlocked.Exchange(ref *(int*)(p + 36), FlagLeases);
    }

    bool Pinned(long slot)
    {
        for (int i = 0; i < leases; i++)
            if ((Volatile.Read(ref *(long*)(p + LeasesAt + 8 * i)) & 0xffffffffL) == slot + 1)
                return true;
        return false;
    }

    /// <summary>Publishes one whole BMP file as the next frame; returns its number.</summary>
    public long Publish(byte[] bmp)
    {
        return Publish(bmp, 0, bmp.Length);
    }

    /// <summary>Publishes bmp[offset..offset+count] as the next frame; returns its number.</summary>
    public long Publish(byte[] bmp, int offset, int count)
    {
        if (p == null)
            throw new ObjectDisposedException("ShmbmpWriter");
        if (offset < 0 || count < 0 || offset > bmp.Length - count)
            throw new ArgumentOutOfRangeException("count");
        if (count > capacity)
            throw new ArgumentException("frame of " + count + " bytes does not fit a slot of " + capacity + " bytes");
        long stride = SlotHeader + capacity;
        long latest = Volatile.Read(ref *(long*)(p + 24));
        long latestSlot = latest == 0 || slots == 1 ? -1 : latest & 0xffff;
        long slot = -1, begin = 0;
        while (slot < 0)
        {
            for (long k = 0; k < slots && slot < 0; k++)
            {
                long s = (cursor + k) % slots;
                if (s == latestSlot || Pinned(s))
                    continue;
                long* seq = (long*)(p + RegionHeader + s * stride);
                long s0 = Volatile.Read(ref *seq);
                begin = s0 % 2 == 0 ? s0 + 1 : s0 + 2;   // odd: being written
                Interlocked.Exchange(ref *seq, begin);   // a full fence before the pins are read
                if (Pinned(s))
                {
                    Interlocked.Exchange(ref *seq, s0);  // a reader pinned it meanwhile: back out
                    continue;
                }
                slot = s;
            }
            if (slot < 0)
                Thread.Yield();  // only a reader moving its pin while we looked gets here
        }
        byte* at = p + RegionHeader + slot * stride;
        Marshal.Copy(bmp, offset, (IntPtr)(at + SlotHeader), count);
        *(long*)(at + 16) = count;
        *(long*)(at + 8) = next;
        *(long*)(at + 24) = (DateTime.UtcNow - Epoch).Ticks * 100;
        Volatile.Write(ref *(long*)at, begin + 1);                        // even: stable (release)
        Interlocked.Exchange(ref *(long*)(p + 24), (next << 16) | slot);  // latest
        cursor = (slot + 1) % slots;
        return next++;
    }

    /// <summary>Stops writing: unmaps the region and releases the writer lock.</summary>
    public void Dispose()
    {
        if (p != null)
        {
            Interlocked.CompareExchange(ref *(int*)(p + 40), 0, pid);
            view.SafeMemoryMappedViewHandle.ReleasePointer();
            p = null;
        }
        if (view != null) view.Dispose();
        if (mmf != null) mmf.Dispose();
        if (file != null) file.Dispose();
        if (writerLock != null) writerLock.Dispose();
        view = null;
        mmf = null;
        file = null;
        writerLock = null;
    }

    // Linux calls (x86-64 and aarch64 share these numbers and layouts).
    const int F_OFD_SETLK = 37;
    const short F_WRLCK = 1;
    const int EAGAIN = 11;
    const int EACCES = 13;
    const int AT_FDCWD = -100;
    const int AT_SYMLINK_NOFOLLOW = 0x100;
    const int AT_EMPTY_PATH = 0x1000;
    const int STATX_BASIC_STATS = 0x7ff;
    const int S_IFMT = 0xf000;
    const int S_IFREG = 0x8000;

    [StructLayout(LayoutKind.Sequential)]
    struct Flock
    {
        public short l_type;
        public short l_whence;
        public long l_start;
        public long l_len;
        public int l_pid;
    }

    struct StatInfo
    {
        public uint Uid;
        public int Mode;
        public ulong Ino;
        public ulong Dev;
    }

    [DllImport("libc", SetLastError = true)]
    static extern int fcntl(int fd, int cmd, ref Flock lk);

    [DllImport("libc", SetLastError = true)]
    static extern int fchmod(int fd, uint mode);

    [DllImport("libc")]
    static extern uint geteuid();

    [DllImport("libc", SetLastError = true)]
    static extern int statx(int dirfd, string path, int flags, uint mask, byte[] buf);

    // struct statx: uid at 20, mode (u16) at 28, ino at 32, dev major/minor at 136/140.
    static StatInfo Stat(int dirfd, string path, int flags)
    {
        var buf = new byte[256];
        if (statx(dirfd, path, flags, STATX_BASIC_STATS, buf) != 0)
            throw new IOException("statx " + path + ": errno " + Marshal.GetLastWin32Error());
        return new StatInfo
        {
            Uid = BitConverter.ToUInt32(buf, 20),
            Mode = BitConverter.ToUInt16(buf, 28),
            Ino = BitConverter.ToUInt64(buf, 32),
            Dev = (ulong)BitConverter.ToUInt32(buf, 136) << 32 | BitConverter.ToUInt32(buf, 140),
        };
    }
}
