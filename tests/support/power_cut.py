"""A disk that can lose power: an ext4 file system in a loop device whose dirty pages are never
written back on their own (vm.dirty_writeback_centisecs=0, a long expiry, high dirty limits,
ext4 commit=600). cut() copies the loop device's backing file: the copy holds what reached the
"disk" (what was fdatasync'd, plus metadata the journal committed) and nothing that was only in
the page cache. The copy then becomes the disk, mounted again (ext4 replays its journal).

It cannot model a real disk's volatile write cache, reordering or torn sectors: the loop device
writes through to the host in order. Needs root, losetup, mkfs.ext4 and writable vm sysctls."""

import fcntl
import json
import os
import shutil
import subprocess

SYSCTLS = {"vm/dirty_writeback_centisecs": "0", "vm/dirty_expire_centisecs": "360000",
           "vm/dirty_background_bytes": str(4 << 30), "vm/dirty_bytes": str(8 << 30)}
# Writing a *_bytes setting zeroes its *_ratio twin (and 0 is not a valid *_bytes), so the
# ratios are saved too and restored last.
SAVED_TOO = ["vm/dirty_background_ratio", "vm/dirty_ratio"]
# The sysctls are global: one power-cut disk at a time on the machine (other test runs
# included), and the machine's own settings kept on disk so that a run killed midway cannot
# leave the next one saving modified values as the originals.
# If the machine is found in this module's own settings with no originals file (something
# killed a run and lost the file), the kernel's defaults are restored instead of our settings.
KERNEL_DEFAULTS = {"vm/dirty_writeback_centisecs": "500", "vm/dirty_expire_centisecs": "3000",
                   "vm/dirty_background_bytes": "0", "vm/dirty_bytes": "0",
                   "vm/dirty_background_ratio": "10", "vm/dirty_ratio": "20"}
LOCK_PATH = "/tmp/sluice-power-cut.lock"
ORIGINALS_PATH = "/tmp/sluice-power-cut.sysctls.json"


def supported():
    if os.geteuid() != 0 or not shutil.which("losetup") or not shutil.which("mkfs.ext4"):
        return False
    return os.access("/proc/sys/vm/dirty_writeback_centisecs", os.W_OK)


class PowerCutDisk:
    def __init__(self, workdir, size="256M"):
        self.image = os.path.join(workdir, "disk.img")
        self.mount_point = os.path.join(workdir, "mnt")
        os.makedirs(self.mount_point, exist_ok=True)
        subprocess.run(["truncate", "-s", size, self.image], check=True)
        subprocess.run(["mkfs.ext4", "-q", "-F", self.image], check=True)
        self.loop = None
        self.saved = {}

    def __enter__(self):
        self.lock = open(LOCK_PATH, "w")
        fcntl.flock(self.lock, fcntl.LOCK_EX)  # waits for another run's disk to go
        if not self.attach():
            self.release()
            raise RuntimeError("cannot mount an ext4 image through a loop device here")
        if os.path.exists(ORIGINALS_PATH):
            with open(ORIGINALS_PATH) as f:
                self.saved = json.load(f)  # a previous run died before restoring them
        else:
            for key in list(SYSCTLS) + SAVED_TOO:
                with open(f"/proc/sys/{key}") as f:
                    self.saved[key] = f.read().strip()
            if any(self.saved[key] == value for key, value in SYSCTLS.items()):
                self.saved = dict(KERNEL_DEFAULTS)
            with open(ORIGINALS_PATH, "w") as f:
                json.dump(self.saved, f)
        for key, value in SYSCTLS.items():
            with open(f"/proc/sys/{key}", "w") as f:
                f.write(value)
        return self

    def __exit__(self, *exc):
        try:
            for key, value in self.saved.items():
                if key.endswith("_bytes") and value == "0":
                    continue  # ratio mode: restoring the ratio switches back to it
                with open(f"/proc/sys/{key}", "w") as f:
                    f.write(value)
            os.remove(ORIGINALS_PATH)
            self.detach()
        finally:
            self.release()
        return False

    def release(self):
        fcntl.flock(self.lock, fcntl.LOCK_UN)
        self.lock.close()

    def attach(self):
        p = subprocess.run(["losetup", "-f", "--show", self.image], capture_output=True, text=True)
        if p.returncode != 0:
            return False
        self.loop = p.stdout.strip()
        return subprocess.run(["mount", "-t", "ext4", "-o", "commit=600", self.loop, self.mount_point],
                              capture_output=True).returncode == 0

    def detach(self):
        subprocess.run(["umount", self.mount_point], capture_output=True)
        if self.loop:
            subprocess.run(["losetup", "-d", self.loop], capture_output=True)
            self.loop = None

    def cut(self):
        """What the disk holds now becomes the disk; the page cache is lost. Call with every
        writer stopped (killed)."""
        snapshot = self.image + ".cut"
        subprocess.run(["cp", "--sparse=always", self.image, snapshot], check=True)
        self.detach()  # writes the page cache back into the old image, which is thrown away
        os.replace(snapshot, self.image)
        if not self.attach():
            raise AssertionError("the cut image must mount (ext4 replays its journal)")
