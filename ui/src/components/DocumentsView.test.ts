// The Documents tab: the chart's documents by date, type and hospital, and
// the chosen one as readable text, saying when some of it is not shown.
import { screen, waitFor, within } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import { openChart, showTab } from "../lib/chartHarness";
import { sampleCharts } from "../lib/fakeBackend";

const rowIds = () => screen.getAllByTestId("document-row").map((row) => row.getAttribute("data-document-id"));
const rowOf = (id: string) => screen.getAllByTestId("document-row").find((row) => row.getAttribute("data-document-id") === id)!;

async function openDocuments(locale: "en" | "zh-CN" = "en") {
  const started = await openChart({ locale });
  await showTab(started.user, "documents");
  return started;
}

describe("documents", () => {
  it("lists the documents newest first with their date, type, author and hospital", async () => {
    await openDocuments();
    expect(screen.getByTestId("tab-documents")).toHaveTextContent("Documents (4)");
    expect(rowIds()).toEqual(["doc-1", "doc-3", "doc-5", "doc-2"]);
    const clinic = rowOf("doc-1");
    expect(clinic).toHaveTextContent("内分泌科门诊病历");
    expect(clinic).toHaveTextContent("May 20, 2024");
    expect(clinic).toHaveTextContent("门诊病历");
    expect(clinic).toHaveTextContent("周敏");
    expect(within(clinic).getByTestId("source-badge")).toHaveTextContent("北京协和医院");
    expect(screen.getByTestId("documents-choose")).toHaveTextContent("Choose a document to read it.");
  });

  it("is labelled in Chinese", async () => {
    await openDocuments("zh-CN");
    expect(screen.getByTestId("tab-documents")).toHaveTextContent("文书 (4)");
    expect(rowOf("doc-1")).toHaveTextContent("2024年5月20日");
    expect(screen.getByLabelText("文书类型")).toBe(screen.getByTestId("doc-filter-type"));
    expect(screen.getByLabelText("医院")).toBe(screen.getByTestId("doc-filter-source"));
    expect(screen.getByTestId("documents-choose")).toHaveTextContent("选择一份文书进行阅读。");
  });

  it("filters by type and by hospital", async () => {
    const { user } = await openDocuments();
    const type = screen.getByTestId("doc-filter-type");
    expect(within(type).getAllByRole("option").map((option) => option.textContent)).toEqual([
      "All document types", "出院小结", "急诊病历", "检查报告", "门诊病历",
    ]);
    await user.selectOptions(type, "出院小结");
    expect(rowIds()).toEqual(["doc-2"]);
    await user.selectOptions(type, "");
    await user.selectOptions(screen.getByTestId("doc-filter-source"), "首都医科大学附属北京朝阳医院");
    expect(rowIds()).toEqual(["doc-3", "doc-5"]);
    expect(screen.getByTestId("documents-count")).toHaveTextContent("Showing 2 of 2 documents");
    await user.selectOptions(type, "门诊病历");
    expect(screen.queryAllByTestId("document-row")).toHaveLength(0);
    expect(screen.getByTestId("documents-none")).toHaveTextContent("No document matches these filters.");
  });

  it("shows the chosen document's headings, paragraphs, list items and table rows as text", async () => {
    const { user } = await openDocuments();
    const button = within(rowOf("doc-1")).getByRole("button");
    await user.click(button);
    // The one being read among the list: aria-current, not a toggle's aria-pressed.
    expect(button).toHaveAttribute("aria-current", "true");
    expect(button).not.toHaveAttribute("aria-pressed");
    expect(within(rowOf("doc-2")).getByRole("button")).not.toHaveAttribute("aria-current");

    const body = screen.getByTestId("document-body");
    expect(body).toHaveAccessibleName("内分泌科门诊病历");
    expect(within(body).getAllByRole("term").map((term) => term.textContent)).toEqual(["Document type", "Date", "Author", "Source"]);
    expect(within(body).getAllByRole("definition").map((definition) => definition.textContent)).toEqual([
      "门诊病历",
      "May 20, 2024",
      "周敏",
      expect.stringContaining("北京协和医院"),
    ]);
    expect(within(body).getAllByRole("heading", { level: 4 }).map((h) => h.textContent)).toEqual(["主诉", "诊断", "检验结果", "处理"]);
    expect(within(body).getByText("糖尿病随访，口干、多饮较前减轻。").tagName).toBe("P");
    expect(within(body).getAllByRole("listitem").map((item) => item.textContent)).toEqual(["2型糖尿病", "原发性高血压"]);
    const rows = within(body).getAllByRole("row");
    expect(rows.map((row) => within(row).getAllByRole("cell").map((cell) => cell.textContent))).toEqual([
      ["项目", "结果", "参考范围"],
      ["糖化血红蛋白", "7.8%", "4.0–6.0%"],
      ["空腹血糖", "8.1 mmol/L", "3.9–6.1 mmol/L"],
    ]);
    expect(screen.queryByTestId("document-withheld")).toBeNull();
  });

  it("says when part of a document is withheld or not text", async () => {
    const { user } = await openDocuments();
    await user.click(within(rowOf("doc-3")).getByRole("button"));
    const body = screen.getByTestId("document-body");
    expect(within(body).getByTestId("document-withheld")).toHaveTextContent(
      "Part of this document is not shown: it is not text (a scan or a file), or it is withheld at your access level.",
    );
    expect(body).toHaveTextContent("头晕2小时，自测血压182/104 mmHg。");

    // Wholly withheld: the notice, and no text.
    await user.click(within(rowOf("doc-5")).getByRole("button"));
    expect(screen.getByTestId("document-withheld")).toBeInTheDocument();
    expect(screen.getByTestId("document-no-text")).toHaveTextContent("This document has no text to show.");
  });

  it("says it in Chinese", async () => {
    const { user } = await openDocuments("zh-CN");
    await user.click(within(rowOf("doc-3")).getByRole("button"));
    expect(screen.getByTestId("document-withheld")).toHaveTextContent("本文书部分内容未显示");
    expect(within(screen.getByTestId("document-body")).getAllByRole("term").map((term) => term.textContent)).toEqual([
      "文书类型", "日期", "作者", "来源",
    ]);
  });

  it("puts the focus on the first document a 'show more' brought, the last one too", async () => {
    const base = sampleCharts[0]!;
    const documents = Array.from({ length: 120 }, (_, i) => ({ ...base.documents[0]!, id: `doc-many-${i}`, title: `文书 ${i}` }));
    const { user } = await openChart({ options: { charts: [{ ...base, documents }] } });
    await showTab(user, "documents");
    await user.click(screen.getByTestId("documents-more"));
    await waitFor(() => expect(within(screen.getAllByTestId("document-row")[50]!).getByRole("button")).toHaveFocus());
    await user.click(screen.getByTestId("documents-more"));
    expect(screen.queryByTestId("documents-more")).toBeNull();
    await waitFor(() => expect(within(screen.getAllByTestId("document-row")[100]!).getByRole("button")).toHaveFocus());
  });
});
