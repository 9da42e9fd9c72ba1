// A C# producer of shmbmp framed regions, protocol version 2 (PROTOCOL.md): takes the
// writer lock (an OFD lock on byte 0, through P/Invoke fcntl), creates /dev/shm/NAME with 4
// slots and 2 leases, and publishes each BMP file once, in order, following the seqlock rules
// and honouring readers' leases (Interlocked.Exchange gives the store-load fence the lease
// rule needs). It does not wake readers (flags = LEASES): Rust readers poll it.
// Usage: mono FramedWriter.exe NAME FILE.bmp...   Exit status 3: another writer holds NAME.
// Compile with: mcs -unsafe FramedWriter.cs
using System;
using System.IO;
using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using System.Threading;

unsafe class FramedWriter
{
    const int RegionHeader = 4096;
    const int SlotHeader = 64;
    const int Slots = 4;
    const int Leases = Slots - 2;
    const int FlagLeases = 2;
    const int F_OFD_SETLK = 37;
    const short F_WRLCK = 1;

    [StructLayout(LayoutKind.Sequential)]
    struct Flock
    {
        public short l_type;
        public short l_whence;
        public long l_start;
        public long l_len;
        public int l_pid;
    }

    [DllImport("libc", SetLastError = true)]
    static extern int fcntl(int fd, int cmd, ref Flock lk);

    [DllImport("libc")]
    static extern int getpid();

    [DllImport("libc", SetLastError = true)]
    static extern int fchmod(int fd, uint mode);

    static bool Pinned(byte* p, long slot)
    {
        for (int i = 0; i < Leases; i++)
            if ((Volatile.Read(ref *(long*)(p + 64 + 8 * i)) & 0xffffffffL) == slot + 1)
                return true;
        return false;
    }

    static int Main(string[] args)
    {
        if (args.Length < 2)
        {
            Console.Error.WriteLine("usage: FramedWriter NAME FILE.bmp...");
            return 2;
        }
        string path = "/dev/shm/" + args[0];
        var frames = new byte[args.Length - 1][];
        long max = 0;
        for (int i = 1; i < args.Length; i++)
        {
            frames[i - 1] = File.ReadAllBytes(args[i]);
            max = Math.Max(max, frames[i - 1].Length);
        }
        long capacity = (max + 63) / 64 * 64;
        long size = RegionHeader + Slots * (SlotHeader + capacity);
        using (var fs = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite))
        {
            var lk = new Flock { l_type = F_WRLCK, l_whence = 0, l_start = 0, l_len = 1, l_pid = 0 };
            int fd = fs.SafeFileHandle.DangerousGetHandle().ToInt32();
            if (fcntl(fd, F_OFD_SETLK, ref lk) != 0)
            {
                Console.Error.WriteLine(path + " already has a writer: one writer per region");
                return 3;
            }
            if (fs.Length != 0)
            {
                Console.Error.WriteLine(path + " exists: remove it first (this peer only creates regions)");
                return 4;
            }
            fchmod(fd, 0x180);  // 0600: only this user (FileStream used the umask)
            fs.SetLength(size);
            using (var mmf = MemoryMappedFile.CreateFromFile(fs, null, size,
                       MemoryMappedFileAccess.ReadWrite, HandleInheritability.None, true))
            using (var view = mmf.CreateViewAccessor(0, size))
            {
                byte* p = null;
                view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
                try
                {
                    *(uint*)(p + 8) = Slots;
                    *(uint*)(p + 12) = Leases;
                    *(long*)(p + 16) = capacity;
                    *(int*)(p + 40) = getpid();
                    Volatile.Write(ref *(int*)(p + 36), FlagLeases);
                    byte[] magic = System.Text.Encoding.ASCII.GetBytes("SHMBMP02");
                    Volatile.Write(ref *(long*)p, BitConverter.ToInt64(magic, 0));  // magic last
                    var epoch = new DateTime(1970, 1, 1, 0, 0, 0, DateTimeKind.Utc);
                    long cursor = 0;
                    for (long n = 1; n <= frames.Length; n++)
                    {
                        byte[] bmp = frames[n - 1];
                        long latestSlot = n == 1 ? -1 : Volatile.Read(ref *(long*)(p + 24)) & 0xffff;
                        long slot = -1, begin = 0, s0 = 0;
                        while (slot < 0)
                        {
                            for (long k = 0; k < Slots && slot < 0; k++)
                            {
                                long s = (cursor + k) % Slots;
                                if (s == latestSlot || Pinned(p, s))
                                    continue;
                                long* seqp = (long*)(p + RegionHeader + s * (SlotHeader + capacity));
                                s0 = Volatile.Read(ref *seqp);
                                begin = s0 % 2 == 0 ? s0 + 1 : s0 + 2;
                                Interlocked.Exchange(ref *seqp, begin);   // odd, full fence
                                if (Pinned(p, s))
                                {
                                    Interlocked.Exchange(ref *seqp, s0);  // a reader pinned it: back out
                                    continue;
                                }
                                slot = s;
                            }
                        }
                        byte* at = p + RegionHeader + slot * (SlotHeader + capacity);
                        Marshal.Copy(bmp, 0, (IntPtr)(at + SlotHeader), bmp.Length);
                        *(long*)(at + 16) = bmp.Length;
                        *(long*)(at + 8) = n;
                        *(long*)(at + 24) = (DateTime.UtcNow - epoch).Ticks * 100;
                        Volatile.Write(ref *(long*)at, begin + 1);                       // even: stable (release)
                        Interlocked.Exchange(ref *(long*)(p + 24), (n << 16) | slot);   // latest
                        cursor = (slot + 1) % Slots;
                    }
                    *(int*)(p + 40) = 0;
                }
                finally
                {
                    view.SafeMemoryMappedViewHandle.ReleasePointer();
                }
            }
        }
        Console.WriteLine("published " + frames.Length + " frames to " + path);
        return 0;
    }
}
