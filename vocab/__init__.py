"""The words everything shows: labels, the plan outline, milestone kinds, ROC dates and NT$."""
