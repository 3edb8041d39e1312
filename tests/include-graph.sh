#!/usr/bin/env bash
# The include graph of the source tree (docs/ARCHITECTURE.md, "Layout").
#
#   tests/include-graph.sh          print the picture; exit 1 on a violation
#
# Prints which top-level folder includes which (boot, hv, mm, arch, lib,
# guest, include, tests), with the number of #include / %include lines,
# then checks two things and fails (exit status 1, naming file:line) on:
#
#  1. Layering: an include from mm/ or lib/ into hv/, boot/, arch/ or
#     guest/, or from lib/ into mm/. mm/ and lib/ are below the hypervisor
#     proper and must build without it (the host tests and the partitions
#     rely on that).
#  2. Cycles among the hypervisor's sources (boot/, hv/, mm/, arch/, lib/).
#     A node is a module: a .c file and the .h of the same name in the same
#     folder are one node (hv/run.c + hv/run.h = hv/run), so two .c files
#     that call each other through their headers form a cycle even though
#     no header includes itself (a private header, NAME_internal.h, belongs
#     to module NAME). Every strongly connected component of more
#     than one module is printed with the include lines that close it; it
#     fails unless its exact member list is in ALLOWED_CYCLES below, with a
#     reason. A new member joining an allowed cycle fails too.
#
# Includes are resolved as the compilers do: "x" against the including
# file's folder, then include/, then the top folder (arch/x86/ too for
# NASM); <x> against include/, then the top folder. What resolves to no
# file in the tree (libc, gnu-efi, the generated version.h) is not counted.
#
# Plain bash + POSIX awk (mawk is enough); run from anywhere.
set -euo pipefail
cd "$(dirname "$0")/.."

# One line per allowed cycle: "sorted members separated by spaces|reason".
ALLOWED_CYCLES=(
	"hv/cpu_work hv/hypercall hv/run|the run loops call hypercall_dispatch (a partition's VMCALL), VCPU_RUN and CONTROL_VCPU_START/WAKE call into the run loops and the CPU hand-off, and a woken CPU runs control_run: the dispatcher and the run loop are each other's callers (issue 10 allows hypercall <-> run; cpu_work is the CPU hand-off split out of it)"
)

FOLDERS="boot hv mm arch lib guest include tests"

find boot hv mm arch lib guest include tests \
	\( -name '*.c' -o -name '*.h' -o -name '*.asm' -o -name '*.inc' \) -type f 2>/dev/null |
	LC_ALL=C sort | xargs grep -nE '^[[:space:]]*[#%][[:space:]]*include[[:space:]]*[<"]' |
	LC_ALL=C awk -v folders="$FOLDERS" -v allowed="$(printf '%s\n' "${ALLOWED_CYCLES[@]}")" '
function exists(p,   line, r) {
	if (p in known)
		return known[p]
	r = (getline line < p) >= 0
	close(p)
	return known[p] = r
}
function norm(p,   n, i, parts, out, k) {
	n = split(p, parts, "/")
	k = 0
	for (i = 1; i <= n; i++) {
		if (parts[i] == "." || parts[i] == "")
			continue
		if (parts[i] == ".." && k > 0) { k--; continue }
		stack[++k] = parts[i]
	}
	out = ""
	for (i = 1; i <= k; i++)
		out = out (i > 1 ? "/" : "") stack[i]
	return out
}
function resolve(file, target, quoted,   dir, c, n, i) {
	dir = file
	sub(/\/[^\/]*$/, "", dir)
	n = 0
	if (quoted)
		cand[++n] = dir "/" target
	cand[++n] = "include/" target
	cand[++n] = target
	if (file ~ /\.(asm|inc)$/)
		cand[++n] = "arch/x86/" target
	for (i = 1; i <= n; i++) {
		c = norm(cand[i])
		if (exists(c))
			return c
	}
	return ""
}
function folder(p) {
	sub(/\/.*/, "", p)
	return p
}
function module(p) {
	if (p ~ /\.[ch]$/)
		sub(/\.[ch]$/, "", p)
	sub(/_internal$/, "", p)   # NAME_internal.h is private to NAME
	return p
}
function hypervisor(p,   f) {
	f = folder(p)
	return f == "boot" || f == "hv" || f == "mm" || f == "arch" || f == "lib"
}
# The keys of arr in out[1..n], sorted (insertion sort: lists are small).
function sorted_keys(arr, out,   k, n, i, j, w) {
	n = 0
	for (k in arr)
		out[++n] = k
	for (i = 2; i <= n; i++) {
		w = out[i]
		for (j = i - 1; j >= 1 && out[j] > w; j--)
			out[j + 1] = out[j]
		out[j + 1] = w
	}
	return n
}
# Tarjan: strongly connected components of the module graph.
function visit(v,   i, w, members, n, k, list) {
	index_of[v] = lowlink[v] = ++counter
	stk[++sp] = v
	on_stack[v] = 1
	for (i = 1; i <= nsucc[v]; i++) {
		w = succ[v, i]
		if (!(w in index_of)) {
			visit(w)
			if (lowlink[w] < lowlink[v])
				lowlink[v] = lowlink[w]
		} else if (on_stack[w] && index_of[w] < lowlink[v]) {
			lowlink[v] = index_of[w]
		}
	}
	if (lowlink[v] != index_of[v])
		return
	n = 0
	do {
		w = stk[sp--]
		on_stack[w] = 0
		members[++n] = w
		comp_of[w] = ncomp + 1
	} while (w != v)
	if (n < 2)
		return
	# sort the members (insertion sort: components are small)
	for (i = 2; i <= n; i++) {
		w = members[i]
		for (k = i - 1; k >= 1 && members[k] > w; k--)
			members[k + 1] = members[k]
		members[k + 1] = w
	}
	list = members[1]
	for (i = 2; i <= n; i++)
		list = list " " members[i]
	comp_list[++ncomp] = list
}
BEGIN {
	nf = split(folders, F, " ")
	na = split(allowed, A, "\n")
	for (i = 1; i <= na; i++) {
		if (A[i] == "")
			continue
		split(A[i], parts, "|")
		allow_reason[parts[1]] = parts[2]
	}
}
{
	# grep -n output: file:line:text
	file = $0; sub(/:.*/, "", file)
	rest = substr($0, length(file) + 2)
	line = rest; sub(/:.*/, "", line)
	text = substr(rest, length(line) + 2)
	quoted = text ~ /include[[:space:]]*"/
	target = text
	sub(/^[^<"]*[<"]/, "", target)
	sub(/[>"].*$/, "", target)
	to = resolve(file, target, quoted)
	if (to == "")
		next
	ff = folder(file); tf = folder(to)
	count[ff, tf]++
	where = file ":" line
	if ((ff == "mm" || ff == "lib") && (tf == "hv" || tf == "boot" || tf == "arch" || tf == "guest"))
		bad[++nbad] = where ": " ff "/ includes " tf "/: \"" to "\""
	else if (ff == "lib" && tf == "mm")
		bad[++nbad] = where ": lib/ includes mm/: \"" to "\""
	if (ff == "arch" && tf == "hv")
		up[to]++
	if (hypervisor(file) && hypervisor(to)) {
		a = module(file); b = module(to)
		node[a] = node[b] = 1
		if (a != b && !((a, b) in edge)) {
			edge[a, b] = where " includes " to
			succ[a, ++nsucc[a]] = b
		}
	}
}
END {
	printf "include graph: lines in <row> that include a file of <column>\n\n"
	printf "%-8s", "from"
	for (j = 1; j <= nf; j++)
		printf " %7s", F[j]
	printf "\n"
	for (i = 1; i <= nf; i++) {
		printf "%-8s", F[i]
		for (j = 1; j <= nf; j++)
			printf " %7s", ((F[i], F[j]) in count) ? count[F[i], F[j]] : "."
		printf "\n"
	}
	printf "\nedges between folders:\n"
	for (i = 1; i <= nf; i++) {
		out = ""
		for (j = 1; j <= nf; j++)
			if (i != j && (F[i], F[j]) in count)
				out = out (out == "" ? "" : ", ") F[j] " (" count[F[i], F[j]] ")"
		if (out != "")
			printf "  %-7s -> %s\n", F[i], out
	}

	out = ""
	n = sorted_keys(up, U)
	for (i = 1; i <= n; i++)
		out = out (out == "" ? "" : ", ") U[i] " (" up[U[i]] ")"
	if (out != "")
		printf "\nupward, reported only: arch/ -> hv/ headers it implements or calls: %s\n", out

	status = 0
	printf "\nlayering (mm/ and lib/ include nothing of hv/, boot/, arch/, guest/; lib/ nothing of mm/): "
	if (nbad == 0)
		printf "ok\n"
	else {
		printf "%d violation(s)\n", nbad
		for (i = 1; i <= nbad; i++)
			printf "  FAIL %s\n", bad[i]
		status = 1
	}

	n = sorted_keys(node, N)
	for (i = 1; i <= n; i++)
		if (!(N[i] in index_of))
			visit(N[i])
	printf "\nmodule cycles among boot/ hv/ mm/ arch/ lib/ (a .c and its .h are one module): %d\n", ncomp
	for (c = 1; c <= ncomp; c++) {
		ok = comp_list[c] in allow_reason
		printf "  %s {%s}\n", ok ? "allowed" : "FAIL", comp_list[c]
		n = split(comp_list[c], M, " ")
		for (i = 1; i <= n; i++)
			for (j = 1; j <= n; j++)
				if (i != j && (M[i], M[j]) in edge)
					printf "      %s -> %s: %s\n", M[i], M[j], edge[M[i], M[j]]
		if (ok)
			printf "      why allowed: %s\n", allow_reason[comp_list[c]]
		else
			status = 1
	}
	for (k in allow_reason) {
		found = 0
		for (c = 1; c <= ncomp; c++)
			if (comp_list[c] == k)
				found = 1
		if (!found)
			printf "  note: allowed cycle {%s} is no longer a cycle of its own: update ALLOWED_CYCLES\n", k
	}
	printf "\ninclude-graph: %s\n", status ? "FAILED" : "ok"
	exit status
}'
