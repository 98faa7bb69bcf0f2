#!/usr/bin/env bash
# watcloud users: plan and apply a small config into a throw-away --root, then show that a
# second plan has nothing to do. Works as a normal user: under --root, files stay owned by you.
set -euo pipefail
work=$(mktemp -d "${TMPDIR:-/tmp}/watcloud-users-demo.XXXXXX")
trap 'rm -rf "$work"' EXIT
root="$work/root"
mkdir -p "$root/etc/skel" "$root/home"
# A small Debian-like system, plus a user somebody added by hand (uid 1500: not managed).
cat > "$root/etc/passwd" <<'P'
root:x:0:0:root:/root:/bin/bash
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
handmade:x:1500:1500:Added by hand:/home/handmade:/bin/bash
P
cat > "$root/etc/shadow" <<'P'
root:*:19000:0:99999:7:::
daemon:*:19000:0:99999:7:::
nobody:*:19000:0:99999:7:::
handmade:!:19500:0:99999:7:::
P
cat > "$root/etc/group" <<'P'
root:x:0:
daemon:x:1:
shadow:x:42:
users:x:100:
nogroup:x:65534:
handmade:x:1500:
P
cat > "$root/etc/gshadow" <<'P'
root:*::
daemon:*::
shadow:*::
users:*::
nogroup:*::
handmade:!::
P
chmod 640 "$root/etc/shadow" "$root/etc/gshadow"
printf '# from /etc/skel\n' > "$root/etc/skel/.bashrc"

cat > "$work/users.yaml" <<'Y'
managed_uid_range: [2000, 2999]
managed_gid_range: [2000, 2999]
managed_directories:
  - {path: "/scratch/%u", mode: "0750"}
groups:
  - {groupname: robotics, gid: 2500}
  - {groupname: admins, gid: 2501}
users:
  - username: alice
    uid: 2001
    comment: Alice Admin
    additional_groups: [robotics, admins]
    password: "$6$moJBpe0FoDqzMIqy$iLIQi30OUbrWTVdflGj7VvXe./80bhb6Ym6mURkYp9nqkjVszQrVJxFO8v0PIN41KVr5mTW6H4CDhvl.NzTd/0"
    ssh_authorized_keys:
      - "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDbYTR5mqI4J/nSuDaegvo5Cm7/ezIRwaESL5IVqiGco alice@laptop"
    linger: true
  - username: bob
    uid: 2002
    additional_groups: [robotics]
    password: "$y$j9T$abcdefghijklmnop$wRwvHNqzMkHLG74uLLCRVTwaZ.a1aIothEUeYGf9oED"
    update_password: on_create
  - {username: carol, uid: 2003, primary_group: robotics, shell: /bin/sh}
Y

echo "\$ watcloud users plan --config users.yaml --root ROOT"
watcloud users plan --config "$work/users.yaml" --root "$root"
echo
echo "\$ watcloud users apply --config users.yaml --root ROOT --yes"
watcloud users apply --config "$work/users.yaml" --root "$root" --yes | tail -n 1
echo
echo "ROOT/etc/passwd (the hand-made line and the system users are untouched, byte for byte):"
sed 's/^/    /' "$root/etc/passwd"
echo "ROOT/etc/group:"
sed 's/^/    /' "$root/etc/group"
echo "ROOT/home/alice/.ssh/authorized_keys:"
sed 's/^/    /' "$root/home/alice/.ssh/authorized_keys"
echo
echo "\$ watcloud users plan ...   # again: nothing to do"
watcloud users plan --config "$work/users.yaml" --root "$root"
echo
echo "Now carol leaves and bob switches to zsh:"
sed -i -e '/username: carol/d' "$work/users.yaml"
sed -i -e 's|    update_password: on_create|    update_password: on_create\n    shell: /bin/zsh|' "$work/users.yaml"
echo "\$ watcloud users plan ..."
watcloud users plan --config "$work/users.yaml" --root "$root"
