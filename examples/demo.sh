#!/usr/bin/env bash
# A walk through the procedure on the example data, with the example config, in a register
# of its own: ${TMPDIR:-/tmp}/complaintctl-demo-UID/demo.db, made afresh on every run, so
# the demo never touches the office's register (not the default one, not the one
# COMPLAINTCTL_DB or the config names) and prints the same thing each time.  Each
# complaint in complaints.csv is logged as it arrived, then taken down a different path:
#   1 satisfied · 2 dissatisfied, reopened, resolved again · 3 rejected at classification
#   4 feedback window expired, closed · 5 severity A, escalated · 6 on hold, waiting for photos
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
demo="${TMPDIR:-/tmp}"
demo="${demo%/}/complaintctl-demo-$(id -u)"
mkdir -p "$demo"
if [ ! -O "$demo" ] || [ -L "$demo" ]; then
  echo "error: $demo is not a folder of yours; remove it or set TMPDIR" >&2
  exit 1
fi
db="$demo/demo.db"
rm -f "$db" "$db-wal" "$db-shm"
c() { complaintctl --db "$db" --config "$here/complaintctl.toml" --as "${DEMO_USER:-前台小王}" "$@"; }

echo "demo register: $db"
c db init >/dev/null

numbers=()
while IFS=, read -r received channel customer contact ctype summary order product amount; do
  [ "$received" = "received_at" ] && continue
  args=(log --received-at "$received" --channel "$channel" --customer "$customer"
        --contact "$contact" --customer-type "$ctype" --summary "$summary" -q)
  [ -n "$order" ] && args+=(--order "$order")
  [ -n "$product" ] && args+=(--product "$product")
  [ -n "$amount" ] && args+=(--amount "$amount")
  numbers+=("$(c "${args[@]}")")
done < "$here/complaints.csv"
read -r n1 n2 n3 n4 n5 n6 <<< "${numbers[*]}"
echo "logged: ${numbers[*]}"

# 1 — satisfied.  Assigned on Tuesday 30 September: the investigation is due on the make-up
# Saturday 11 October (1–8 October are holidays).
c ack "$n1" --at "2025-09-29 09:20"
c classify "$n1" --category PQ --severity C --kind general --at "2025-09-29 10:00"
c assign "$n1" --department QA --owner 李娜 --at "2025-09-30 10:00"
c investigate "$n1" --findings "进水阀密封圈老化" --cause "供应商批次质量问题" \
  --responsibility external --proposal "上门更换进水阀" --at "2025-10-09 15:00"
c resolve "$n1" --remedy repair --note "已上门更换" --at "2025-10-10 11:00"
c feedback "$n1" --score 5 --comment "很满意" --at "2025-10-13 09:30"

# 2 — dissatisfied, reopened to its owner, resolved again.
c ack "$n2" --at "2025-09-29 15:00"
c classify "$n2" --category BL --severity C --kind claim --at "2025-09-29 15:10"
c assign "$n2" --department SALES --owner "Zhou Min" --at "2025-09-29 15:30"
c investigate "$n2" --findings "Billing run posted the invoice twice" --responsibility internal \
  --proposal "credit note" --at "2025-09-30 11:00"
c resolve "$n2" --remedy explanation --note "explained the second invoice is void" \
  --at "2025-09-30 16:00"
c feedback "$n2" --score 2 --comment "we want the money back, not an explanation" \
  --at "2025-10-09 10:00"
c resolve "$n2" --remedy refund --amount 1280 --at "2025-10-10 10:00" 2>/dev/null \
  || echo "(resolve refused: the reopened case needs its investigation report first)"
c investigate "$n2" --findings "second charge was collected" --responsibility internal \
  --proposal refund --at "2025-10-09 16:00"
c resolve "$n2" --remedy refund --amount 1280 --at "2025-10-10 10:00"
c feedback "$n2" --score 4 --at "2025-10-13 10:00"

# 3 — rejected at classification.
c ack "$n3" --at "2025-09-30 10:10"
c classify "$n3" --reject "承运商责任，已转交物流公司处理" --at "2025-09-30 11:00"

# 4 — nobody answers the feedback call: the 7-working-day window expires, then it is closed.
c ack "$n4" --at "2025-09-30 16:30"
c classify "$n4" --category SA --severity C --kind general --at "2025-09-30 16:40"
c assign "$n4" --department CS --owner 王芳 --at "2025-09-30 17:00"
c investigate "$n4" --findings "店员承认语气不当" --responsibility internal \
  --proposal "道歉并培训" --at "2025-10-09 10:00"
c resolve "$n4" --remedy apology --at "2025-10-09 15:00"
c note "$n4" "电话回访两次无人接听" --at "2025-10-15 10:00"
c close "$n4" --at "2025-10-21 09:00"

# 5 — severity A (media involved): escalated within the hour, plan within four.
c ack "$n5" --at "2025-10-09 11:05"
c classify "$n5" --category SM --severity A --kind claim --at "2025-10-09 11:10"
c escalate "$n5" --to "预防投诉管理办公室主任" --note "已电话汇报" --at "2025-10-09 11:40"
c plan "$n5" "当天上门核实，48小时内给出书面答复" --at "2025-10-09 14:00"
c assign "$n5" --department QA --owner 李娜 --at "2025-10-09 14:05"

# 6 — waiting on the customer: the clock stops while the case is on hold.
c ack "$n6" --at "2025-10-10 09:40"
c classify "$n6" --category FE --severity B --kind claim --at "2025-10-10 10:00"
c assign "$n6" --department TECH --owner 赵磊 --at "2025-10-10 10:30"
c hold "$n6" --reason "等待客户提供地板损坏照片" --at "2025-10-10 11:00"
c resume "$n6" --at "2025-10-14 09:00"

echo
c show "$n1"
c list --status all --from 2025-09-29 --to 2025-10-10

# A night's batch from the web form, with its history (safe to run again: rows already
# imported are recognised by their reference).
c import "$here/import-sample.csv" --mapping "$here/import-mapping.toml"

# The morning reminder as cron would see it on Monday 20 October, and October's report.
c warn --at "2025-10-20 09:00" --exit-zero
c report --month 2025-10
